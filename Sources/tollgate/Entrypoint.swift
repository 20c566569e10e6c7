import TollgateCLI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `tollgate` executable: everything lives in TollgateCLI.
@main
struct Entrypoint {
    static func main() async {
        exit(await CLI.main())
    }
}
