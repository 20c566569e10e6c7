import Foundation

/// URLs Gitea reports, moved onto the address the user reaches Gitea at.
///
/// Gitea builds every URL it reports (`clone_url`, `html_url`) from its `ROOT_URL` setting, not from the address
/// the request came to. Behind a reverse proxy, or in a container whose `ROOT_URL` is `http://localhost:3000/`, that
/// address is wrong from outside. The part after the root (`owner/repo.git`, `owner/repo/pulls/3`) is right, so it
/// is kept and put under the configured address.
public enum ServerURL {
    /// `reported` with its root (what precedes `/owner/name`) replaced by `base`; the query and fragment are kept.
    ///
    /// When `reported` holds no `/owner/name` segment pair, its scheme, host and port are replaced and its path kept.
    /// - Parameters:
    ///   - reported: A URL Gitea sent, e.g. `http://localhost:3000/acme/job.git`.
    ///   - base: The server's address as configured, e.g. `https://gitea.example.com/git/`.
    ///   - repository: The repository's `owner/name`, as in its `full_name`.
    /// - Returns: nil when `reported` is not a URL.
    public static func rebase(_ reported: String, onto base: URL, repository: String) -> String? {
        guard var components = URLComponents(string: reported), components.host != nil,
            let target = URLComponents(url: base, resolvingAgainstBaseURL: false)
        else { return nil }
        components.scheme = target.scheme
        components.host = target.host
        components.port = target.port
        if let split = Self.root(ofPath: components.percentEncodedPath, repository: repository) {
            var prefix = target.percentEncodedPath
            if !prefix.hasSuffix("/") { prefix += "/" }
            components.percentEncodedPath = prefix + split.tail
        }
        return components.string
    }

    /// The root Gitea built `reported` from (its `ROOT_URL`, ending in `/`), or nil when `reported` holds no
    /// `/owner/name` segment pair.
    public static func root(of reported: String, repository: String) -> String? {
        guard var components = URLComponents(string: reported),
            let split = Self.root(ofPath: components.percentEncodedPath, repository: repository)
        else { return nil }
        components.percentEncodedPath = split.root
        components.query = nil
        components.fragment = nil
        return components.string
    }

    /// Splits a path at the last `/owner/name` that ends a segment: the root up to and including the slash before
    /// the owner, and the rest from the owner on.
    private static func root(ofPath path: String, repository: String) -> (root: String, tail: String)? {
        // Gitea compares names without case; a percent-encoded path is ASCII, so offsets carry over.
        let lowered = Array(path.lowercased().utf8)
        let needle = Array(("/" + repository.lowercased()).utf8)
        guard lowered.count == path.utf8.count, needle.count > 1, lowered.count >= needle.count else { return nil }
        for start in stride(from: lowered.count - needle.count, through: 0, by: -1)
        where lowered[start..<start + needle.count].elementsEqual(needle) {
            let after = start + needle.count
            guard after == lowered.count || lowered[after] == UInt8(ascii: "/") || lowered[after] == UInt8(ascii: ".")
            else { continue }
            let cut = path.utf8.index(path.utf8.startIndex, offsetBy: start + 1)
            return (String(path[..<cut]), String(path[cut...]))
        }
        return nil
    }
}
