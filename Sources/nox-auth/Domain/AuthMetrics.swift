import NoxRuntime

/// nox-auth's counter of refused sign-ins and credentials (`nox_auth_failures_total`), by
/// reason: `login` (wrong password, unknown or disabled user), `login_throttled`, `refresh`,
/// `credential` (a bearer token or API key refused).
enum AuthMetrics {
    static func failure(_ reason: String) {
        MetricName.authFailures.increment([("nox.auth.reason", reason)])
    }
}
