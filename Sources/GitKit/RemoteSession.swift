internal import CGit2
import Foundation

/// The state of one push or fetch, handed to libgit2's callbacks as their payload.
///
/// It answers credential requests (once: libgit2 1.5 would replay refused credentials 15 times), decides on HTTPS
/// certificates by the call's ``TransportSecurity``, and collects the references the remote rejected during a push.
/// Lives only for the duration of one network call.
final class RemoteSession {
    private let credentials: Credentials?
    private let security: TransportSecurity
    private let remoteURL: String?
    /// The host of the remote's URL; credentials go to this host only.
    private let expectedHost: String?
    private var credentialRequests = 0
    /// Rejected references and the remote's reason, filled during a push.
    private(set) var rejectedReferences: [String: String] = [:]
    /// Whether a server certificate was refused during the call.
    private var refusedCertificate = false
    /// What is wrong with the refused certificate when GitKit checked it; nil when libgit2's own message says.
    private var certificateProblem: String?
    /// Whether the refused certificate names the IP address connected to, which libgit2's host-name check with
    /// mbedTLS 2.28 misses (it then reports a name mismatch that is not there).
    private var certificateNamesAddress = false

    init(credentials: Credentials?, remoteURL: String?, security: TransportSecurity) {
        self.credentials = credentials
        self.security = security
        self.remoteURL = remoteURL
        self.expectedHost = remoteURL.flatMap { URL(string: $0)?.host?.lowercased() }
    }

    /// Points a callbacks struct at this session, which must outlive the call that uses them.
    func install(into callbacks: inout git_remote_callbacks) {
        callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
        callbacks.credentials = { out, url, _, allowedTypes, payload in
            guard let out, let payload else { return GIT_EUSER.rawValue }
            let session = Unmanaged<RemoteSession>.fromOpaque(payload).takeUnretainedValue()
            return session.provideCredential(out, url: url.map { String(cString: $0) }, allowedTypes: allowedTypes)
        }
        callbacks.certificate_check = { certificate, valid, host, payload in
            guard let payload else { return GIT_PASSTHROUGH.rawValue }
            let session = Unmanaged<RemoteSession>.fromOpaque(payload).takeUnretainedValue()
            return session.checkCertificate(certificate, valid: valid != 0, host: host.map { String(cString: $0) })
        }
        callbacks.push_update_reference = { reference, status, payload in
            guard let payload, let reference, let status else { return 0 }
            let session = Unmanaged<RemoteSession>.fromOpaque(payload).takeUnretainedValue()
            session.rejectedReferences[String(cString: reference)] = String(cString: status)
            return 0
        }
    }

    /// Answers libgit2's request for credentials, failing with `GIT_EAUTH` and a clear message when it cannot.
    private func provideCredential(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>,
        url: String?,
        allowedTypes: UInt32
    ) -> Int32 {
        credentialRequests += 1
        let host = url.flatMap { URL(string: $0)?.host?.lowercased() }
        guard let credentials else {
            return fail("authentication required by \(host ?? "the remote") but no credentials were given")
        }
        guard credentialRequests == 1 else {
            return fail("authentication failed for \(host ?? "the remote"): the credentials were refused")
        }
        guard host == expectedHost else {
            return fail(
                "refusing to send credentials to \(host ?? "an unknown host") (remote is \(expectedHost ?? "?"))"
            )
        }
        guard allowedTypes & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0 else {
            return fail("the remote does not accept a user name and password")
        }
        return git_credential_userpass_plaintext_new(out, credentials.username, credentials.password)
    }

    /// Decides on a server's TLS certificate, called by libgit2 for every HTTPS connection.
    ///
    /// `valid` is libgit2's own verdict against the system's certificate authorities: a trusted certificate
    /// passes. Otherwise the insecure setting accepts it, a CA file gets a second check against its authorities
    /// (with the same host-name and validity checks), and without either libgit2's refusal stands.
    private func checkCertificate(_ certificate: UnsafeMutablePointer<git_cert>?, valid: Bool, host: String?) -> Int32 {
        if valid { return GIT_PASSTHROUGH.rawValue }
        if security.insecureSkipTLSVerify { return 0 }
        let x509 = certificate.flatMap { certificate in
            certificate.pointee.cert_type == GIT_CERT_X509
                ? certificate.withMemoryRebound(to: git_cert_x509.self, capacity: 1) { $0.pointee } : nil
        }
        let host = host.map { $0.hasPrefix("[") && $0.hasSuffix("]") ? String($0.dropFirst().dropLast()) : $0 }
        guard let caFile = security.caFile else {
            refusedCertificate = true
            if let data = x509?.data, let length = x509?.len, let host {
                certificateNamesAddress =
                    tollgate_certificate_der_names_address(data.assumingMemoryBound(to: UInt8.self), length, host) == 1
            }
            return GIT_PASSTHROUGH.rawValue
        }
        var problem = "the server sent no X.509 certificate"
        if let x509, let host {
            guard let verdict = Self.verify(x509, caFile: caFile, host: host) else { return 0 }
            problem = verdict
        }
        refusedCertificate = true
        certificateProblem = problem
        _ = git_error_set_str(Int32(GIT_ERROR_SSL.rawValue), problem)
        return GIT_ECERTIFICATE.rawValue
    }

    /// Checks a certificate against the authorities in `caFile`; returns nil when it is trusted, else the problem.
    private static func verify(_ certificate: git_cert_x509, caFile: String, host: String) -> String? {
        guard let data = certificate.data else { return "the server sent an empty certificate" }
        var reason = [CChar](repeating: 0, count: 512)
        let result = tollgate_verify_certificate(
            data.assumingMemoryBound(to: UInt8.self),
            certificate.len,
            caFile,
            host,
            &reason,
            reason.count
        )
        guard result != 0 else { return nil }
        let problem = oneLine(String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        return problem.isEmpty ? "verification against \(caFile) failed" : problem
    }

    /// The error to throw for a failed network call: a clear one when a certificate was refused, else `error`.
    func explain(_ error: GitError) -> GitError {
        guard refusedCertificate else { return error }
        return security.untrustedCertificateError(
            remoteURL: remoteURL,
            problem: certificateProblem ?? libgit2Problem(error.message),
            operation: error.operation
        )
    }

    /// The certificate problem in libgit2's message, after its code.
    ///
    /// For example "The certificate is not correctly signed by the trusted CA" from "the SSL certificate is
    /// invalid: 0x08 - The certificate is not correctly signed by the trusted CA".
    private func libgit2Problem(_ message: String) -> String {
        let problems = message.range(of: " - ").map { String(message[$0.upperBound...]) } ?? message
        return Self.oneLine(problems) { !(certificateNamesAddress && $0.contains("Common Name (CN)")) }
    }

    /// `text`'s non-empty lines that pass `keep`, trimmed and joined with "; " (one problem per line).
    private static func oneLine(_ text: String, keeping keep: (String) -> Bool = { _ in true }) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && keep($0) }.joined(separator: "; ")
    }

    /// Records `message` as libgit2's current error and returns `GIT_EAUTH`.
    private func fail(_ message: String) -> Int32 {
        _ = git_error_set_str(Int32(GIT_ERROR_CALLBACK.rawValue), message)
        return GIT_EAUTH.rawValue
    }
}

@available(*, unavailable)
extension RemoteSession: Sendable {}
