//! Per-client-address rate limits for the endpoints anyone can call (application form,
//! activation, login), so they cannot be used to guess secrets or flood the committee.
//!
//! The limiter is per process: with several `serve` processes behind a balancer each
//! allows the quota, which bounds abuse as intended without shared state.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

/// The caller's address, as seen on the TCP connection.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| Self(c.0.ip()))
            .ok_or_else(|| ApiError::Internal("no connection info".into()))
    }
}

/// The limiter for public endpoints.
#[derive(Debug)]
pub struct Limits {
    public: DefaultKeyedRateLimiter<IpAddr>,
}

impl Limits {
    /// Allows `per_minute` requests per address per minute, with bursts of the same size.
    #[must_use]
    pub fn new(per_minute: u32) -> Self {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            public: RateLimiter::keyed(Quota::per_minute(n)),
        }
    }

    /// Counts one request from `ip`.
    ///
    /// # Errors
    /// [`ApiError::TooManyRequests`] with the seconds to wait when over the quota.
    pub fn check(&self, ip: &ClientIp) -> Result<(), ApiError> {
        self.public.check_key(&ip.0).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            ApiError::TooManyRequests(wait.as_secs().max(1))
        })
    }
}
