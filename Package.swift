// swift-tools-version:6.0
// Tollgate: a git-backed workflow engine for the work of autonomous agents.
//
// Module diagram (arrows point down only):
//
//   tollgate (exe) ── TollgateCLI ── TollgateEngine ──┬── TollgateCore (pure)
//                                                     ├── GitKit ── CGit2 (libgit2), CGitStart
//                                                     └── GiteaKit ── HTTPKit ── CCurlShim (libcurl)
//   tollgate-bench ── TollgateCLI (the batch's progress display), TollgateEngine (the budget ledger), TollgateCore,
//                     GitKit, GiteaKit, HTTPKit (and the built `tollgate` binary)
//
// Each target's dependencies are exactly the modules its files import (`Scripts/lint.sh` checks this).
import PackageDescription

/// The Swift runtime and Foundation linked into the `tollgate` executable, as `--static-swift-stdlib` links them.
///
/// A command then starts in about two thirds of the time (the dynamic loader no longer resolves Foundation's symbols
/// across some fifty libraries), and tests and agents start it by the thousand. Foundation's static libraries are
/// named because `-static-stdlib` alone leaves them out; lld, because gold prints glibc's link-time warning about
/// `mktemp` (which Foundation uses) on every link and cannot be told not to.
let staticSwiftRuntime = [
    "-static-stdlib", "-use-ld=lld",
    "-Xlinker", "--start-group",
    "-lFoundation", "-lCoreFoundation", "-lFoundationEssentials", "-lFoundationInternationalization",
    "-l_FoundationICU", "-l_FoundationCShims", "-l_FoundationCollections",
    "-Xlinker", "--end-group",
]

let package = Package(
    name: "Tollgate",
    products: [
        .executable(name: "tollgate", targets: ["tollgate"]),
        .executable(name: "tollgate-bench", targets: ["tollgate-bench"]),
    ],
    targets: [
        // MARK: - System libraries

        /** libgit2, found by pkg-config; every git operation goes through it. */
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        /** libcurl, loaded on first use (not linked: its libraries cost every start 3 ms), behind typed wrappers. */
        .target(name: "CCurlShim", linkerSettings: [.linkedLibrary("dl")]),
        /** libgit2's start without its eager load of the system's certificate authorities (docs/decisions.md). */
        .target(name: "CGitStart", linkerSettings: [.linkedLibrary("dl")]),
        /** fork, unshare a user and network namespace, loopback up, exec: privacy.mode=local-only (DESIGN §11). */
        .target(name: "CSandbox"),

        // MARK: - Pure core

        /** Values and machines: autonomy, job machine, config resolution, templates, critique. No I/O. */
        .target(name: "TollgateCore"),

        // MARK: - Adapters over C libraries

        /** Repository, commits, branches, squash merges, compare-and-swap refs, push and fetch. */
        .target(name: "GitKit", dependencies: ["CGit2", "CGitStart"]),
        /** An HTTP client on libcurl: one reused easy handle, timeouts, retries. */
        .target(name: "HTTPKit", dependencies: ["CCurlShim"]),
        /** Gitea's REST API subset as value types over any HTTPTransport. */
        .target(name: "GiteaKit", dependencies: ["HTTPKit"]),

        // MARK: - Shell

        /** Ports, adapters, the job runner, the state branch, resource look-up. */
        .target(
            name: "TollgateEngine",
            dependencies: ["TollgateCore", "GitKit", "GiteaKit", "HTTPKit", "CSandbox"]
        ),
        /** Argument parsing, one file per subcommand, exit codes and output. */
        .target(name: "TollgateCLI", dependencies: ["TollgateEngine", "TollgateCore"]),
        /** The `tollgate` executable: one file calling into TollgateCLI. */
        .executableTarget(
            name: "tollgate",
            dependencies: ["TollgateCLI"],
            linkerSettings: [.unsafeFlags(staticSwiftRuntime, .when(platforms: [.linux]))]
        ),
        /** Benchmarks: in-process libgit2 against the git command line, and more. */
        .executableTarget(
            name: "tollgate-bench",
            dependencies: ["TollgateCLI", "TollgateEngine", "TollgateCore", "GitKit", "GiteaKit", "HTTPKit"]
        ),

        // MARK: - Tests

        /** Helpers shared by the test targets: temp repos, goldens, processes, in-memory fakes of the ports. */
        .target(name: "TollgateTestSupport", dependencies: ["TollgateEngine", "TollgateCore", "HTTPKit"]),
        .testTarget(
            name: "TollgateCoreTests",
            dependencies: ["TollgateCore", "TollgateTestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "GitKitTests",
            dependencies: ["GitKit", "HTTPKit", "TollgateTestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "GiteaKitTests",
            dependencies: ["GiteaKit", "HTTPKit", "GitKit", "TollgateTestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "TollgateEngineTests",
            dependencies: ["TollgateEngine", "TollgateCore", "GitKit", "TollgateTestSupport"]
        ),
        // The binary these tests run is built by `swift build --build-tests` and `swift test` as every product is;
        // a dependency on `tollgate` would link its module, and its static runtime flags, into the test bundle.
        .testTarget(
            name: "TollgateCLITests",
            dependencies: [
                "TollgateCLI", "TollgateEngine", "TollgateCore", "GiteaKit", "HTTPKit", "TollgateTestSupport",
            ]
        ),
    ]
)

for target in package.targets where [.regular, .test, .executable].contains(target.type) {
    target.swiftSettings =
        (target.swiftSettings ?? []) + [
            .enableUpcomingFeature("ExistentialAny"),
            .enableUpcomingFeature("MemberImportVisibility"),
        ]
}
