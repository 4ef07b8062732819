//! tsunagu's domain: the types every other crate speaks and the rules that decide.
//!
//! Nothing here does I/O, awaits or knows SQL or HTTP: the server parses input into
//! these types, asks the functions here what is allowed, and the store persists the
//! result. Keeping the rules here lets property tests check them over random councils.
#![deny(missing_docs)]

pub mod alert;
pub mod asset;
pub mod audit;
pub mod blocklist;
pub mod clearance;
pub mod constituency;
pub mod consultation;
pub mod cpe;
pub mod csaf;
pub mod error;
pub mod federation;
pub mod feedback;
pub mod governance;
pub mod ids;
pub mod incident;
pub mod indicator;
pub mod item;
pub mod kev;
pub mod member;
pub mod misp;
pub mod observation;
pub mod purl;
pub mod sbom;
pub mod scope;
pub mod stix;
pub mod text;
pub mod trends;
pub mod user;
pub mod version;
pub mod view;

pub use error::DomainError;
