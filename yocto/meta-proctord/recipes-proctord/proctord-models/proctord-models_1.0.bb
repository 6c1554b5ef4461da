SUMMARY = "Face and object detection models for proctord"
DESCRIPTION = "The models proctord's example configs use, fetched from the \
               upstream URLs in proctord's models/manifest.toml and checked against \
               its sha256: the full-range BlazeFace and FaceMesh V2 with MediaPipe's \
               canonical face (faces, head pose), BlazeFace 128x128 quantised, and \
               COCO SSD MobileNet v1 quantised with its label map (objects)."
HOMEPAGE = "https://ai.google.dev/edge/litert/models/trained"
BUGTRACKER = "https://git.example.com/exam-office/proctord/issues"
SECTION = "multimedia"
LICENSE = "Apache-2.0"
# Neither download carries a license file.
# nooelint: oelint.var.licenseremotefile
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/Apache-2.0;md5=89aea4e17d99a7cacdbeed46a0096b10"

# Keep in step with models/manifest.toml (daemon/tests/systemd_yocto_layer.rs checks it).
ST_MODELS = "https://raw.githubusercontent.com/STMicroelectronics/meta-st-x-linux-ai/6813080f1bb326793950c5a3ae02a3fd59a94f28/recipes-samples/face-recognition/models/files"
TF_MODELS = "https://storage.googleapis.com/download.tensorflow.org/models/tflite"
# The manifest takes face_detection_full_range_sparse.tflite from the mediapipe==0.10.21
# wheel (pypi:mediapipe==0.10.21); MediaPipe publishes the same file as a build asset.
MP_ASSETS = "https://storage.googleapis.com/mediapipe-assets"
MP_GITHUB = "https://raw.githubusercontent.com/google-ai-edge/mediapipe"
SRC_URI = "${ST_MODELS}/blazeface/blazeface_128x128_quant.tflite;name=blazeface;subdir=${BP}/blazeface;downloadfilename=${BP}-blazeface_128x128_quant.tflite \
           ${TF_MODELS}/coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.zip;name=ssd;subdir=${BP}/ssd;downloadfilename=${BP}-coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.zip \
           ${MP_ASSETS}/face_detection_full_range_sparse.tflite;name=fullrange;subdir=${BP}/fullrange;downloadfilename=${BP}-face_detection_full_range_sparse.tflite \
           ${MP_GITHUB}/0179f0c4566ae78e02e1198cb73c60e4668395b5/mediapipe/tasks/testdata/vision/face_landmarker_v2_with_blendshapes.task;name=landmarker;subdir=${BP}/landmarker;downloadfilename=${BP}-face_landmarker_v2_with_blendshapes.zip \
           ${MP_GITHUB}/85c0cdc7d70653888903c88df45962b764296342/mediapipe/modules/face_geometry/data/canonical_face_model.obj;name=canonical;subdir=${BP}/canonical;downloadfilename=${BP}-canonical_face_model.obj"
SRC_URI[blazeface.sha256sum] = "82050256ee9ea1f9225d45311cfef3d373831f93d13283399358c0e22243ff9e"
SRC_URI[ssd.sha256sum] = "a809cd290b4d6a2e8a9d5dad076e0bd695b8091974e0eed1052b480b2f21b6dc"
SRC_URI[fullrange.sha256sum] = "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1"
SRC_URI[landmarker.sha256sum] = "b261925d4aad812b47a0e8d58c1baa1223270a5d1f663d78338bc881c003879d"
SRC_URI[canonical.sha256sum] = "8bac80443397e113f41a8b565ea72c59390bc031d9defab289dba7bc0c54e618"

# sha256 of the files proctord loads (models/manifest.toml).
SHA256_BLAZEFACE = "82050256ee9ea1f9225d45311cfef3d373831f93d13283399358c0e22243ff9e"
SHA256_SSD = "e4b118e5e4531945de2e659742c7c590f7536f8d0ed26d135abcfe83b4779d13"
SHA256_LABELS = "c7e79c855f73cbba9f33d649d60e1676eb0a974021a41696d1ac0d4b7f7e0211"
SHA256_FULLRANGE = "2c3728e6da56f21e21a320433396fb06d40d9088f2247c05e5635a688d45dfe1"
SHA256_LANDMARKS = "bc5ee5de06d8c3a5465c3155227615b164480a52105a2b3df5748250ab4d914f"
SHA256_CANONICAL = "8bac80443397e113f41a8b565ea72c59390bc031d9defab289dba7bc0c54e618"

S = "${WORKDIR}/${BP}"

inherit allarch

do_configure[noexec] = "1"
do_compile[noexec] = "1"

do_install() {
    models=${D}${datadir}/proctord/models
    install -d $models
    install -m 0644 ${S}/blazeface/${BP}-blazeface_128x128_quant.tflite $models/blazeface_128x128_quant.tflite
    install -m 0644 ${S}/ssd/detect.tflite $models/detect.tflite
    install -m 0644 ${S}/ssd/labelmap.txt $models/coco_labelmap.txt
    install -m 0644 ${S}/fullrange/${BP}-face_detection_full_range_sparse.tflite $models/face_detection_full_range_sparse.tflite
    install -m 0644 ${S}/landmarker/face_landmarks_detector.tflite $models/face_landmarks_detector.tflite
    install -m 0644 ${S}/canonical/${BP}-canonical_face_model.obj $models/canonical_face_model.obj
    cd $models
    printf '%s  %s\n' \
        ${SHA256_FULLRANGE} face_detection_full_range_sparse.tflite \
        ${SHA256_LANDMARKS} face_landmarks_detector.tflite \
        ${SHA256_CANONICAL} canonical_face_model.obj \
        ${SHA256_BLAZEFACE} blazeface_128x128_quant.tflite \
        ${SHA256_SSD} detect.tflite \
        ${SHA256_LABELS} coco_labelmap.txt | sha256sum -c - \
        || bbfatal "a model does not match the sha256 in proctord's models/manifest.toml"
}

FILES:${PN} += "${datadir}/proctord/models"

CVE_PRODUCT = ""
