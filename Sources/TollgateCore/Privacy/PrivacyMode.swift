/// `privacy.mode` (DESIGN §11): whether agents, critics and gates may use the machine's network.
public enum PrivacyMode: String, Sendable, CaseIterable, ConfigChoice {
    /// Children share the machine's network.
    case standard
    /// Children run in a user and network namespace of their own whose only interface is its loopback.
    case localOnly = "local-only"

    /// The variable of a child's environment that asks the spawner for the sandbox: the config value travels with
    /// the environment every agent, critic and gate is started from, so no spawn can miss it, and a tollgate
    /// started by a sandboxed child sandboxes its own children too.
    public static let environmentVariable = "TOLLGATE_PRIVACY_MODE"

    /// The mode a child environment asks for: local-only when the variable says so, standard otherwise.
    public static func requested(by environment: [String: String]) -> PrivacyMode {
        environment[environmentVariable] == PrivacyMode.localOnly.rawValue ? .localOnly : .standard
    }

    /// Why a configuration cannot be: local-only with a review host other than `local` (a Gitea host would send
    /// the job's content to a server); nil when it can.
    public static func refusal(of config: ResolvedConfig) -> String? {
        let host = config[ConfigKeys.reviewHost]
        guard config[ConfigKeys.privacyMode] == .localOnly, host != .local else { return nil }
        return "privacy.mode is local-only but review.host is \(host): a \(host) host would send the job's content "
            + "off the machine. Use review.host=local, or privacy.mode=standard to allow it"
    }
}

/// Why the kernel refused the local-only sandbox, and what to change: the message of a run that did not start.
public enum SandboxDiagnosis {
    /// The step of entering the sandbox that failed (the C shim's `tollgate_sandbox_stage`).
    public enum Stage: Int32, Sendable {
        case fork = 1
        case unshare = 2
        case idMap = 3
        case loopback = 4
        case streams = 5
        case exec = 6
        case pipe = 7
    }

    /// The kernel's settings that decide whether an unprivileged process may create a user namespace; nil where
    /// the file does not exist on this kernel.
    public struct KernelSettings: Sendable, Equatable {
        /// `kernel.unprivileged_userns_clone` (Debian and older Ubuntu kernels).
        public var unprivilegedUsernsClone: Int?
        /// `user.max_user_namespaces`.
        public var maxUserNamespaces: Int?
        /// `kernel.apparmor_restrict_unprivileged_userns` (Ubuntu 23.10 and later).
        public var apparmorRestrict: Int?

        public init(unprivilegedUsernsClone: Int? = nil, maxUserNamespaces: Int? = nil, apparmorRestrict: Int? = nil) {
            self.unprivilegedUsernsClone = unprivilegedUsernsClone
            self.maxUserNamespaces = maxUserNamespaces
            self.apparmorRestrict = apparmorRestrict
        }
    }

    /// The error names the message uses (Linux's values; the sandbox exists only there).
    public enum Errno: Int32, Sendable {
        case eperm = 1
        case enoent = 2
        case eacces = 13
        case einval = 22
        case enospc = 28
        case eusers = 87
    }

    static let otherwise = "or set privacy.mode=standard to run with the machine's network"

    /// The sentence for a spawn that failed at `stage` with `errno` (described by `reason`).
    public static func message(
        stage: Stage,
        errno code: Int32,
        reason: String,
        settings: KernelSettings
    ) -> String {
        let known = Errno(rawValue: code)
        let head = "privacy.mode is local-only, so the command must run in a network namespace of its own, "
        switch stage {
        case .unshare:
            let why: String
            let fix: String
            if settings.unprivilegedUsernsClone == 0 {
                why = "unprivileged user namespaces are off (kernel.unprivileged_userns_clone = 0)"
                fix = "enable them with `sysctl -w kernel.unprivileged_userns_clone=1` (as root)"
            } else if known == .enospc || known == .eusers || settings.maxUserNamespaces == 0 {
                let limit = settings.maxUserNamespaces.map { " (user.max_user_namespaces = \($0))" } ?? ""
                why = "the limit on user namespaces is reached\(limit)"
                fix = "raise it with `sysctl -w user.max_user_namespaces=15000` (as root, in the namespace that set it)"
            } else if known == .einval {
                why = "this kernel has no user or network namespaces"
                fix = "run on a kernel built with CONFIG_USER_NS and CONFIG_NET_NS"
            } else {
                why = "this process may not create user namespaces (a container's seccomp filter, or a security module)"
                fix = "allow unshare(CLONE_NEWUSER) where tollgate runs (the container's seccomp profile)"
            }
            return head + "and the kernel refused to create one (unshare: \(reason)): \(why). Nothing was started. "
                + "To change it: \(fix), \(otherwise)"
        case .idMap, .loopback:
            let step = stage == .idMap ? "mapping the user's ids into it" : "bringing its loopback up"
            let why: String
            let fix: String
            if settings.apparmorRestrict == 1 {
                why =
                    "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1)"
                fix =
                    "allow them with `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0` (as root) "
                    + "or an AppArmor profile for tollgate that permits userns"
            } else {
                why = "a security module denies the namespace the rights to set itself up"
                fix = "allow user namespaces to tollgate in that module"
            }
            return head + "and the kernel refused \(step) (\(reason)): \(why). Nothing was started. "
                + "To change it: \(fix), \(otherwise)"
        case .fork, .pipe, .streams, .exec:
            let step =
                switch stage {
                case .fork: "fork"
                case .pipe: "pipe"
                case .streams: "redirecting its output"
                default: "exec"
                }
            return "the command could not be started in its local-only sandbox (\(step): \(reason))"
        }
    }
}
