import Testing
import TollgateCore

/// `--comment PATH:LINE:TEXT`, read as written and checked against the branch's files.
struct InlineCommentSpecTests {
    /// The branch: `plan.md` of 9 lines, `docs/a:b.md` of 2, `empty.md` of none.
    static func lineCounts(_ path: String) -> Int? {
        ["plan.md": 9, "docs/a:b.md": 2, "empty.md": 0][path]
    }

    private func resolved(_ spec: String) throws -> Result<InlineCommentSpec.Reading, InlineCommentSpec.Problem> {
        try InlineCommentSpec(parsing: spec).resolve(against: Self.lineCounts, branch: "phase-1-strategic")
    }

    @Test func aPlainSpecNamesItsFileLineAndText() async throws {
        let reading = try resolved("plan.md:3:Say why: in one line").get()
        #expect(reading == .init(path: "plan.md", line: 3, text: "Say why: in one line"))
    }

    @Test func aPathWithAColonIsAddressedAsWritten() async throws {
        let reading = try resolved("docs/a:b.md:2:Why").get()
        #expect(reading == .init(path: "docs/a:b.md", line: 2, text: "Why"))
    }

    @Test func aTextThatLooksLikeALineNumberStaysText() async throws {
        let reading = try resolved("plan.md:3:10:30 is the time").get()
        #expect(reading == .init(path: "plan.md", line: 3, text: "10:30 is the time"))
    }

    @Test(arguments: [
        ("plan.md:10:x", "plan.md has 9 lines on phase-1-strategic; line 10 does not exist"),
        ("plan.md:999:x", "line 999 does not exist"),
        ("empty.md:1:x", "empty.md has 0 lines"),
        ("missing.md:1:x", "missing.md is not a file on phase-1-strategic"),
        ("docs:1:x", "docs is not a file"),
    ])
    func aCommentOutsideTheBranchIsRefusedSayingWhy(_ spec: String, _ words: String) async throws {
        guard case .failure(let problem) = try resolved(spec) else {
            Issue.record("\(spec) was accepted")
            return
        }
        #expect(problem.description.contains(words), "\(problem)")
        #expect(problem.description.contains(spec))
    }

    @Test(arguments: [
        "/etc/passwd:1:x", "../../etc/passwd:1:x", "a/../b:1:x", "./plan.md:1:x", "plan.md", "p:0:x", "p:1: ",
    ])
    func aSpecThatNamesNoFileOfTheRepositoryIsRefused(_ spec: String) async {
        #expect(throws: InlineCommentSpec.Problem.self) { try InlineCommentSpec(parsing: spec) }
    }

    @Test func theTextIsOneCleanBlock() async throws {
        let reading = try resolved("plan.md:1:first\r\nsecond\u{0}").get()
        #expect(reading.text == "first\nsecond")
    }
}
