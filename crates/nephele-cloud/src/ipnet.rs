//! Address arithmetic lives in `nephele_model::ipnet`, shared with the portal's
//! form validation.
pub use nephele_model::ipnet::*;
