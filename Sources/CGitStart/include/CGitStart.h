#ifndef TOLLGATE_CGITSTART_H
#define TOLLGATE_CGITSTART_H

/// Initialises libgit2 (`git_libgit2_init`) without parsing the system's certificate authorities.
///
/// Debian's libgit2 is built with mbedTLS, whose start reads and parses the whole CA bundle (some 150
/// certificates, 5 to 7 ms) in every process, though only an HTTPS push or fetch uses it. During this call the
/// bundle's path is noted instead; `tollgate_load_system_certificates` parses it before the first network call.
/// With a libgit2 built on another TLS library nothing is noted and nothing changes. Returns what
/// `git_libgit2_init` returns.
int tollgate_libgit2_init(void);

/// Gives libgit2 the certificate authorities its start left out, once per process; later calls do nothing.
///
/// Returns 0 when they were loaded or there was nothing to load, or -1 with libgit2's error set (the bundle could
/// not be read; HTTPS certificates are then refused as untrusted, as they were when libgit2's own start failed).
int tollgate_load_system_certificates(void);

/// How many times mbedTLS parsed the certificate authorities libgit2's start left out (successfully); for tests.
int tollgate_system_certificate_loads(void);

/// The CA bundle (file or folder) libgit2's start asked for, or NULL when it asked for none; for tests.
const char *tollgate_deferred_certificate_location(void);

#endif
