import Foundation
import Testing
import TollgateCore

/// Decoding errors told as sentences that name the field.
struct DecodingProblemTests {
    private struct Outcome: Decodable {
        struct Usage: Decodable { var costUSD: Double? }
        var summary: String?
        var required: Bool
        var addressed: [String]?
        var usage: Usage?
    }

    @Test(arguments: [
        (#"{"required": true, "summary": 3}"#, "`summary` must be a string"),
        (#"{"required": "yes"}"#, "`required` must be true or false"),
        (#"{"required": null}"#, "`required` must be true or false"),
        (#"{}"#, "`required` is missing"),
        (#"{"required": true, "usage": {"costUSD": "cheap"}}"#, "`usage.costUSD` must be a number"),
        (#"{"required": true, "addressed": ["a", 2]}"#, "`addressed[1]` must be a string"),
        (#"{"required": true, "addressed": "a"}"#, "`addressed` must be a list"),
        (#"{"required": "#, "it is not valid JSON"),
        (#"[1]"#, "the document must be an object"),
    ])
    func aDecodingErrorReadsAsASentence(_ json: String, _ sentence: String) async {
        do {
            _ = try JSONDecoder().decode(Outcome.self, from: Data(json.utf8))
            Issue.record("\(json) decoded")
        } catch {
            #expect(DecodingProblem.sentence(error) == sentence)
        }
    }
}
