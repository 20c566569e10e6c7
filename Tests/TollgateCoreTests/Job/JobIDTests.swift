import Testing
import TollgateCore

/// Job ids from directory names.
struct JobIDTests {
    @Test(arguments: [
        ("job", "job"), ("My Report", "my-report"), ("ünïcødé job", "unicode-job"), ("Straße  2026", "strasse-2026"),
        ("--a--b--", "a-b"), ("snake_case", "snake_case"), ("日本", "job"), ("", "job"), ("Ærø.v2", "aero-v2"),
        ("a-b", "a-b"), ("ＦＵＬＬ", "full"),
    ])
    func anIdIsLowerCaseASCIIWithOneDashForEachRunOfOthers(_ name: String, _ id: String) async {
        #expect(JobID.make(from: name) == id)
    }
}
