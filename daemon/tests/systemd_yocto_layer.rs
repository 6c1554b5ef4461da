//! yocto/meta-proctord must agree with the repository it packages: the crates list with
//! Cargo.lock, the model and runtime checksums with the manifest and the daemon's pin,
//! the installed paths with the board configs. (No bitbake here; oelint-adv lints the
//! recipes: yocto/meta-proctord/scripts/lint.sh.)

use std::path::{Path, PathBuf};
use std::process::Command;

use proctord::config::Config;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("daemon/ has a parent")
        .to_path_buf()
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo_root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

const RECIPES: &str = "yocto/meta-proctord/recipes-proctord";

#[test]
fn the_crates_inc_lists_exactly_the_crates_in_cargo_lock() {
    let out = Command::new("python3")
        .arg(repo_root().join("yocto/meta-proctord/scripts/gen-crates-inc.py"))
        .arg("--check")
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}{}\nCargo.lock changed: regenerate the Yocto crates list with yocto/meta-proctord/scripts/gen-crates-inc.py",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_models_recipe_fetches_the_manifest_urls_and_checks_the_manifest_sha256s() {
    let manifest: toml::Table = read("models/manifest.toml")
        .parse()
        .expect("manifest parses");
    let recipe = read(&format!("{RECIPES}/proctord-models/proctord-models_1.0.bb"));
    let models = manifest["model"].as_array().expect("[[model]] entries");
    // The models the board configs use, and the label map of the object detector.
    for name in [
        "face_detection_full_range_sparse",
        "face_landmarks_detector",
        "canonical_face_model",
        "blazeface_128x128_quant",
        "ssd_mobilenet_v1_quant",
        "coco_labelmap",
    ] {
        let m = models
            .iter()
            .find(|m| m["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("{name} in the manifest"));
        let sha = m["sha256"].as_str().unwrap();
        let url = m["url"].as_str().unwrap().split('#').next().unwrap();
        // A file inside a PyPI wheel is fetched as MediaPipe's build asset of that name.
        let file = match url.strip_prefix("pypi:") {
            Some(_) => m["file"].as_str().unwrap(),
            None => url.rsplit('/').next().unwrap(),
        };
        assert!(
            recipe.contains(sha),
            "proctord-models does not check {name}'s sha256 {sha}"
        );
        assert!(
            recipe.contains(file),
            "proctord-models does not fetch {file} ({name})"
        );
        assert!(
            recipe.contains(m["file"].as_str().unwrap()),
            "proctord-models does not install {}",
            m["file"]
        );
    }
}

#[test]
fn the_runtime_recipe_pins_the_library_the_daemon_accepts() {
    let recipe = read(&format!(
        "{RECIPES}/litert-runtime/litert-runtime_{}.bb",
        proctord::inference::runtime::PINNED_VERSION
    ));
    // Both architectures; the daemon's own pin is the one for the architecture it was built for.
    assert!(recipe.contains(proctord::inference::runtime::pinned_sha256()));
    for sha in [
        "b57687dc234d2b8b0598aef5a9c961ed24263df8f8b3f56adbee1cff618e544b",
        "eec47eb35e2924b3166015887e652a58edc9af823ae38e02bf83bef2548300bb",
    ] {
        assert!(recipe.contains(sha), "litert-runtime does not pin {sha}");
        assert!(
            read("scripts/litert.sh").contains(sha),
            "scripts/litert.sh (the pin setup.sh and the .deb use) and the recipe disagree on {sha}"
        );
    }
    assert!(
        recipe.contains("INHIBIT_PACKAGE_STRIP = \"1\""),
        "a stripped libLiteRt.so would fail the daemon's sha256 check"
    );
}

#[test]
fn board_configs_point_at_the_paths_the_recipes_install() {
    let runtime = read(&format!("{RECIPES}/litert-runtime/litert-runtime_2.3.0.bb"));
    let models = read(&format!("{RECIPES}/proctord-models/proctord-models_1.0.bb"));
    let daemon = read(&format!("{RECIPES}/proctord/proctord_0.1.0.bb"));
    assert!(runtime.contains("${D}${libdir}/proctord/libLiteRt.so"));
    assert!(models.contains("${D}${datadir}/proctord/models"));
    assert!(daemon.contains("${D}${datadir}/proctord/models/manifest.toml"));
    for board in ["pi4-cpu", "pi5", "jetson"] {
        let cfg = Config::load(&repo_root().join(format!("config/examples/{board}.toml")))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            cfg.runtime.library,
            Path::new("/usr/lib/proctord/libLiteRt.so"),
            "{board}"
        );
        assert_eq!(
            cfg.models.dir,
            Path::new("/usr/share/proctord/models"),
            "{board}"
        );
        assert_eq!(
            cfg.models.manifest,
            Path::new("/usr/share/proctord/models/manifest.toml"),
            "{board}"
        );
        let config_recipe = read(&format!(
            "{RECIPES}/proctord-config/proctord-config_0.1.0.bb"
        ));
        assert!(
            config_recipe.contains(&format!("\"{board}.toml\"")),
            "proctord-config never selects {board}.toml"
        );
    }
}

#[test]
fn the_recipes_install_files_that_exist_in_the_repository() {
    let daemon = read(&format!("{RECIPES}/proctord/proctord_0.1.0.bb"));
    for rel in [
        "systemd/proctord.service",
        "systemd/sysusers.d/proctord.conf",
        "systemd/proctord.service.d/accelerators.conf.example",
        "models/manifest.toml",
    ] {
        assert!(
            daemon.contains(&format!("${{S}}/{rel}")),
            "proctord's recipe does not install {rel}"
        );
        assert!(
            repo_root().join(rel).is_file(),
            "{rel} is missing from the repository"
        );
    }
}
