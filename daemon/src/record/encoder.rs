//! Which H.264 encoder to record with, and how to set it up.
//!
//! Boards differ (PLATFORM.md): Pi 4 has `v4l2h264enc`, Jetson Nano/Xavier
//! `nvv4l2h264enc`, Intel `vaapih264enc`; Pi 5, Orin Nano and PCs without VA-API encode
//! in software. `auto` takes the first one installed, hardware first.

use gstreamer as gst;
use gstreamer::prelude::*;

use super::RecordError;

/// The order `recording.encoder = "auto"` tries.
pub const AUTO_ENCODER_ORDER: [&str; 5] = [
    "nvv4l2h264enc",
    "v4l2h264enc",
    "vaapih264enc",
    "x264enc",
    "openh264enc",
];

/// Every installed element that encodes video into H.264, sorted by name.
pub fn available_h264_encoders() -> Vec<String> {
    let h264 = gst::Caps::builder("video/x-h264").build();
    let mut names: Vec<String> = gst::ElementFactory::factories_with_type(
        gst::ElementFactoryType::VIDEO_ENCODER,
        gst::Rank::NONE,
    )
    .into_iter()
    .filter(|factory| factory.can_src_any_caps(&h264))
    .map(|factory| factory.name().to_string())
    .collect();
    names.sort();
    names
}

/// The encoder to use for `recording.encoder`: "auto" or an element name.
pub fn choose_encoder(requested: &str) -> Result<String, RecordError> {
    let installed = |name: &str| gst::ElementFactory::find(name).is_some();
    if requested == "auto" {
        return AUTO_ENCODER_ORDER
            .iter()
            .find(|name| installed(name))
            .map(|name| name.to_string())
            .ok_or(RecordError::NoEncoder);
    }
    if installed(requested) {
        Ok(requested.to_string())
    } else {
        Err(RecordError::EncoderMissing {
            name: requested.to_string(),
            available: available_h264_encoders(),
        })
    }
}

/// The elements that turn raw video into H.264, in link order.
pub struct EncoderChain {
    pub elements: Vec<gst::Element>,
    /// The encoder among them, for settings known only once frames arrive.
    pub encoder: gst::Element,
}

/// Builds the chain for `encoder`, set up for live recording at `bitrate_kbps`.
pub fn encoder_chain(encoder: &str, bitrate_kbps: u32) -> Result<EncoderChain, RecordError> {
    let make = |name: &str| {
        gst::ElementFactory::make(name)
            .build()
            .map_err(|e| RecordError::GStreamer(format!("cannot create {name}: {e}")))
    };
    let element = make(encoder)?;
    let bits_per_s = bitrate_kbps.saturating_mul(1000);
    let mut elements = vec![element.clone()];
    match encoder {
        "x264enc" => {
            // Live recording on a small CPU: no lookahead or B-frames, cheapest preset.
            element.set_property_from_str("tune", "zerolatency");
            element.set_property_from_str("speed-preset", "ultrafast");
            element.set_property("bitrate", bitrate_kbps);
        }
        "openh264enc" => {
            element.set_property_from_str("rate-control", "bitrate");
            element.set_property("bitrate", bits_per_s);
        }
        "vaapih264enc" => {
            element.set_property_from_str("rate-control", "cbr");
            element.set_property("bitrate", bitrate_kbps);
        }
        "v4l2h264enc" => {
            let controls = gst::Structure::builder("controls")
                .field("video_bitrate", bits_per_s as i32)
                .build();
            element.set_property("extra-controls", controls);
            // The Pi 4 encoder fails to negotiate unless downstream names a level.
            let level = make("capsfilter")?;
            level.set_property(
                "caps",
                gst::Caps::builder("video/x-h264")
                    .field("level", "4")
                    .build(),
            );
            elements.push(level);
        }
        "nvv4l2h264enc" => {
            element.set_property("bitrate", bits_per_s);
            // The Jetson encoder takes frames in NVMM memory only; nvvidconv moves them there.
            elements.insert(0, make("nvvidconv")?);
        }
        // An encoder named in the config that we know nothing about: its defaults.
        _ => log::warn!(
            "Recording with {encoder} at its default settings; recording.bitrate_kbps does not apply to it."
        ),
    }
    Ok(EncoderChain {
        elements,
        encoder: element,
    })
}

/// Sets the distance between keyframes. Segments are cut at keyframes and splitmuxsink
/// keeps the group of frames since the last one in memory, so this bounds both how late
/// a segment closes and how much video a crash loses beyond the last index update.
pub fn set_keyframe_interval(encoder: &gst::Element, frames: u32) {
    let name = encoder
        .factory()
        .map(|f| f.name().to_string())
        .unwrap_or_default();
    match name.as_str() {
        "x264enc" => encoder.set_property("key-int-max", frames),
        "openh264enc" => encoder.set_property("gop-size", frames),
        "vaapih264enc" => encoder.set_property("keyframe-period", frames),
        "nvv4l2h264enc" => encoder.set_property("iframeinterval", frames),
        "v4l2h264enc" => {
            let mut controls = encoder
                .property::<Option<gst::Structure>>("extra-controls")
                .unwrap_or_else(|| gst::Structure::new_empty("controls"));
            controls.set("h264_i_frame_period", frames as i32);
            encoder.set_property("extra-controls", controls);
        }
        _ => log::warn!("Cannot set the keyframe interval of {name}; segments may close late."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn init() {
        gst::init().unwrap();
    }

    #[test]
    fn the_software_encoders_of_this_machine_are_listed_as_available() {
        init();
        let available = available_h264_encoders();
        assert!(
            available.iter().any(|name| name == "x264enc"),
            "{available:?}"
        );
        assert!(
            !available
                .iter()
                .any(|name| name == "x264enc_missing" || name == "jpegenc"),
            "{available:?}"
        );
    }

    #[test]
    fn auto_takes_the_first_installed_encoder_of_the_documented_order() {
        init();
        let expected = AUTO_ENCODER_ORDER
            .iter()
            .find(|name| gst::ElementFactory::find(name).is_some())
            .unwrap();
        assert_eq!(choose_encoder("auto").unwrap(), *expected);
    }

    #[test]
    fn a_named_encoder_that_is_missing_is_an_error_listing_the_installed_ones() {
        init();
        let error = choose_encoder("nvv4l2h264enc_not_here").unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("nvv4l2h264enc_not_here") && message.contains("x264enc"),
            "{message}"
        );
    }

    #[test]
    fn x264enc_gets_the_configured_bitrate_and_the_live_settings() {
        init();
        let chain = encoder_chain("x264enc", 1500).unwrap();
        assert_eq!(chain.elements.len(), 1);
        assert_eq!(chain.encoder.property::<u32>("bitrate"), 1500);
        assert_eq!(
            chain
                .encoder
                .property_value("speed-preset")
                .serialize()
                .unwrap()
                .as_str(),
            "ultrafast"
        );
    }

    #[test]
    fn openh264enc_gets_the_bitrate_in_bits_per_second() {
        init();
        let chain = encoder_chain("openh264enc", 1500).unwrap();
        assert_eq!(chain.encoder.property::<u32>("bitrate"), 1_500_000);
    }

    #[test]
    fn the_keyframe_interval_reaches_the_software_encoders() {
        init();
        for (encoder, property) in [("x264enc", "key-int-max"), ("openh264enc", "gop-size")] {
            let chain = encoder_chain(encoder, 1000).unwrap();
            set_keyframe_interval(&chain.encoder, 15);
            assert_eq!(chain.encoder.property::<u32>(property), 15, "{encoder}");
        }
    }
}
