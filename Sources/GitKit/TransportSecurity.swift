internal import CGit2
import Foundation

/// How a push or fetch verifies an HTTPS remote's certificate: extra certificate authorities, or no check at all.
///
/// By default the certificate must be trusted by the system's certificate authorities (those libgit2 loads).
/// A `caFile` adds the authorities of a PEM file, e.g. a company's private CA, for this remote only: the system's
/// authorities stay trusted, and other remotes in the same process are not affected. `insecureSkipTLSVerify`
/// accepts any certificate, which lets anyone on the network path read the credentials; it is meant for test
/// servers only. Neither setting matters for plain HTTP or local remotes.
public struct TransportSecurity: Sendable, Equatable {
    /// A PEM file of certificate authorities trusted in addition to the system's; nil for the system's only.
    public var caFile: String?
    /// Accept any certificate, even an expired, self-signed or mismatched one.
    public var insecureSkipTLSVerify: Bool
    /// Creates the settings; the defaults verify against the system's certificate authorities only.
    ///
    /// An empty `caFile` counts as none, as an unset configuration value reads.
    public init(caFile: String? = nil, insecureSkipTLSVerify: Bool = false) {
        self.caFile = caFile?.isEmpty == true ? nil : caFile
        self.insecureSkipTLSVerify = insecureSkipTLSVerify
    }

    /// Verification against the system's certificate authorities only.
    public static let systemTrust = TransportSecurity()

    /// The error for a certificate that was not trusted: the remote, the problem, and the two settings that fix it.
    ///
    /// - Parameters:
    ///   - remoteURL: The remote's URL; any user name or password in it is left out.
    ///   - problem: What is wrong with the certificate, as the TLS library reported it.
    ///   - operation: What GitKit was doing, for example "push to origin".
    func untrustedCertificateError(remoteURL: String?, problem: String, operation: String) -> GitError {
        let fix: String
        if let caFile {
            fix =
                "check that the CA file (\(caFile)) holds the certificate authority that signed it and that the "
                + "certificate names this host"
        } else {
            fix = "if the server uses a private certificate authority, trust a CA file (PEM) holding it"
        }
        let message =
            "the TLS certificate of \(Self.withoutUserInfo(remoteURL)) is not trusted: \(problem). To fix it, \(fix); "
            + "only for a test server, skipping TLS verification turns the check off"
        return GitError(
            code: GIT_ECERTIFICATE.rawValue,
            klass: Int32(GIT_ERROR_SSL.rawValue),
            message: message,
            operation: operation
        )
    }

    /// `url` without a user name or password, so a token written into a remote URL is never repeated.
    private static func withoutUserInfo(_ url: String?) -> String {
        guard let url else { return "the remote" }
        guard var components = URLComponents(string: url), components.user != nil || components.password != nil else {
            return url
        }
        components.user = nil
        components.password = nil
        return components.string ?? "the remote"
    }
}
