import Testing
import TollgateCore

/// privacy.mode's pure parts: which configurations are refused, which child environments ask for the sandbox, and
/// what the message of a refused sandbox says for each way the kernel refuses (DESIGN §11).
struct PrivacyModeTests {
    @Test(arguments: [
        ("standard", "local", false),
        ("standard", "gitea", false),
        ("local-only", "local", false),
        ("local-only", "gitea", true),
    ])
    func aGiteaHostIsRefusedOnlyInLocalOnly(_ mode: String, _ host: String, _ refused: Bool) async throws {
        let config = try ResolvedConfig(layers: [
            ConfigLayer(assignments: ["privacy.mode=\(mode)", "review.host=\(host)"], source: "--set")
        ])
        let refusal = PrivacyMode.refusal(of: config)
        #expect((refusal != nil) == refused)
        if let refusal { #expect(refusal.contains("privacy.mode") && refusal.contains("review.host=local")) }
    }

    @Test(arguments: [
        ([:], PrivacyMode.standard),
        (["TOLLGATE_PRIVACY_MODE": "standard"], .standard),
        (["TOLLGATE_PRIVACY_MODE": "local-only"], .localOnly),
        (["TOLLGATE_PRIVACY_MODE": "LOCAL-ONLY"], .standard),
    ])
    func theChildEnvironmentAsksForTheSandbox(_ environment: [String: String], _ mode: PrivacyMode) async {
        #expect(PrivacyMode.requested(by: environment) == mode)
    }

    struct Refusal: Sendable, CustomStringConvertible {
        var stage: SandboxDiagnosis.Stage
        var errno: Int32
        var settings: SandboxDiagnosis.KernelSettings
        var words: [String]
        var description: String { "\(stage) errno \(errno) \(words.first ?? "")" }
    }

    static let refusals: [Refusal] = [
        Refusal(
            stage: .unshare,
            errno: 1,
            settings: .init(unprivilegedUsernsClone: 0),
            words: ["kernel.unprivileged_userns_clone = 0", "sysctl -w kernel.unprivileged_userns_clone=1"]
        ),
        Refusal(
            stage: .unshare,
            errno: 28,
            settings: .init(maxUserNamespaces: 0),
            words: ["user.max_user_namespaces = 0", "sysctl -w user.max_user_namespaces="]
        ),
        Refusal(
            stage: .unshare,
            errno: 28,
            settings: .init(maxUserNamespaces: 100),
            words: ["limit on user namespaces is reached (user.max_user_namespaces = 100)"]
        ),
        Refusal(
            stage: .unshare,
            errno: 22,
            settings: .init(),
            words: ["no user or network namespaces", "CONFIG_USER_NS"]
        ),
        Refusal(
            stage: .unshare,
            errno: 1,
            settings: .init(unprivilegedUsernsClone: 1, maxUserNamespaces: 100),
            words: ["seccomp"]
        ),
        Refusal(
            stage: .idMap,
            errno: 1,
            settings: .init(apparmorRestrict: 1),
            words: ["mapping the user's ids", "kernel.apparmor_restrict_unprivileged_userns = 1", "AppArmor profile"]
        ),
        Refusal(
            stage: .loopback,
            errno: 1,
            settings: .init(apparmorRestrict: 1),
            words: ["bringing its loopback up", "apparmor_restrict_unprivileged_userns=0"]
        ),
        Refusal(stage: .loopback, errno: 1, settings: .init(), words: ["security module"]),
    ]

    @Test(arguments: refusals)
    func aRefusedSandboxSaysWhyWhatToChangeAndThatNothingStarted(_ refusal: Refusal) async {
        let message = SandboxDiagnosis.message(
            stage: refusal.stage,
            errno: refusal.errno,
            reason: "the reason",
            settings: refusal.settings
        )
        for words in refusal.words + ["the reason)", "Nothing was started", "privacy.mode=standard"] {
            #expect(message.contains(words), "'\(words)' missing from: \(message)")
        }
    }

    @Test func aCommandThatCannotBeExecutedIsNotBlamedOnTheKernel() async {
        let message = SandboxDiagnosis.message(stage: .exec, errno: 2, reason: "No such file", settings: .init())
        #expect(message == "the command could not be started in its local-only sandbox (exec: No such file)")
    }
}
