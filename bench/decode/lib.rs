//! One way of decoding the cloud's port list (`{"ports":[...]}`) into the model's
//! `Vec<Port>`, chosen by the build's feature (see bench/decode/run):
//!
//! - `text`: `Response.text()`, copied into a Rust `String`, `serde_json::from_str`
//!   (the portal before issue 15, through gloo-net);
//! - `bytes`: `Response.arrayBuffer()`, copied into a `Vec<u8>`, `serde_json::from_slice`
//!   (what the portal does now, `api::exchange`);
//! - `value`: `Response.json()` (the browser parses), `serde_wasm_bindgen::from_value`.
//!
//! The list stays alive until `drop_list()`, as the portal keeps a loaded list.

use std::cell::RefCell;

use nephele_model::port::{Port, PortList};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

#[cfg(not(any(feature = "text", feature = "bytes", feature = "value")))]
compile_error!("build with exactly one of the features text, bytes, value");
#[cfg(any(
    all(feature = "text", feature = "bytes"),
    all(feature = "text", feature = "value"),
    all(feature = "bytes", feature = "value")
))]
compile_error!("build with exactly one of the features text, bytes, value");

thread_local! {
    static LIST: RefCell<Vec<Port>> = const { RefCell::new(Vec::new()) };
}

/// Reads the body of `res`, decodes it, keeps the ports; returns how many.
#[wasm_bindgen]
pub async fn decode(res: Response) -> Result<u32, JsValue> {
    let list = parse(res).await?;
    let n = list.ports.len() as u32;
    LIST.with(|l| *l.borrow_mut() = list.ports);
    Ok(n)
}

#[cfg(feature = "text")]
async fn parse(res: Response) -> Result<PortList, JsValue> {
    let text = JsFuture::from(res.text()?).await?.as_string().ok_or("body is not text")?;
    serde_json::from_str(&text).map_err(|e| JsValue::from_str(&e.to_string()))
}

#[cfg(feature = "bytes")]
async fn parse(res: Response) -> Result<PortList, JsValue> {
    let buf = JsFuture::from(res.array_buffer()?).await?;
    let bytes = js_sys::Uint8Array::new(&buf).to_vec();
    drop(buf); // the JS ArrayBuffer may go as soon as it is copied
    serde_json::from_slice(&bytes).map_err(|e| JsValue::from_str(&e.to_string()))
}

#[cfg(feature = "value")]
async fn parse(res: Response) -> Result<PortList, JsValue> {
    let value = JsFuture::from(res.json()?).await?;
    serde_wasm_bindgen::from_value(value).map_err(JsValue::from)
}

/// The total length of the kept ports' strings (id, name, network, device, MAC,
/// status, addresses and their subnets): a check that every field was decoded.
#[wasm_bindgen]
pub fn kept_bytes() -> u32 {
    let opt = |s: &Option<String>| s.as_deref().map_or(0, str::len);
    let port = |p: &Port| {
        p.id.len()
            + p.name.len()
            + p.network_id.len()
            + opt(&p.device_id)
            + opt(&p.mac_address)
            + p.status.as_str().len()
            + p.fixed_ips.iter().map(|ip| ip.ip_address.len() + ip.subnet.len()).sum::<usize>()
    };
    LIST.with(|l| l.borrow().iter().map(port).sum::<usize>() as u32)
}

/// Frees the kept ports.
#[wasm_bindgen]
pub fn drop_list() {
    LIST.with(|l| *l.borrow_mut() = Vec::new());
}
