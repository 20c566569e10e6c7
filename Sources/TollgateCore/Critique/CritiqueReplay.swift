/// Rebuilds a run's summary and report from its transcript, through the same ``Scoreboard`` code.
///
/// Because the transcript stores every event the live scoreboard saw (timeouts and interrupts
/// included), a replay with the same configuration yields the same ``CritiqueSummary``.
public enum CritiqueReplay {
    /// The scoreboard after every event of `transcript`.
    ///
    /// - Throws: ``CritiqueParseError`` when the transcript cannot be read.
    public static func scoreboard(transcript: String, config: CritiqueConfig) throws(CritiqueParseError) -> Scoreboard {
        let (_, events) = try CritiqueTranscript.read(transcript)
        var scoreboard = Scoreboard(config: config)
        for event in events { _ = scoreboard.eventReceived(event) }
        return scoreboard
    }

    /// The summary of the run `transcript` records.
    public static func summary(transcript: String, config: CritiqueConfig) throws(CritiqueParseError) -> CritiqueSummary
    {
        try Self.scoreboard(transcript: transcript, config: config).summary
    }

    /// The Markdown report of the run `transcript` records.
    public static func report(transcript: String, config: CritiqueConfig, title: String = "Critique report")
        throws(CritiqueParseError) -> String
    {
        CritiqueReport.render(try Self.summary(transcript: transcript, config: config), title: title)
    }
}
