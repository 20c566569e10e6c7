import Foundation

/// Small `/bin/sh` agents for tests, written into a test's own directory.
///
/// Each follows the agent contract: it reads the `TOLLGATE_*` environment, writes files in the workspace, and leaves
/// its outcome JSON at `$TOLLGATE_OUTCOME`.
public enum AgentScript {
    /// An agent that works through the phases: it appends a line to `work/phase-N.txt` (so every run changes the
    /// tree), copies its feedback file and environment into `capture` (outside the workspace) as
    /// `feedback-run-<revision>-<phase>.json` and `env-<phase>-<revision>.txt`, and reports the job complete from
    /// phase `completeAt`.
    public static func phases(completeAt: Int, capture: URL) -> String {
        """
        #!/bin/sh
        set -e
        n="$TOLLGATE_PHASE"
        mkdir -p work "\(capture.path)"
        echo "phase $n $TOLLGATE_PHASE_TYPE revision $TOLLGATE_REVISION mode $TOLLGATE_MODE branch $TOLLGATE_BRANCH" >> "work/phase-$n.txt"
        env | grep '^TOLLGATE_' | sort > "\(capture.path)/env-$n-$TOLLGATE_REVISION-$TOLLGATE_BRANCH.txt"
        if [ -n "$TOLLGATE_FEEDBACK" ]; then
          cp "$TOLLGATE_FEEDBACK" "\(capture.path)/feedback-$TOLLGATE_BRANCH-$TOLLGATE_REVISION.json"
        fi
        complete=false
        if [ "$n" -ge \(completeAt) ]; then complete=true; fi
        printf '{"summary": "Phase %s %s", "details": "Did phase %s (revision %s).", "jobComplete": %s}\\n' \\
          "$n" "$TOLLGATE_PHASE_TYPE" "$n" "$TOLLGATE_REVISION" "$complete" > "$TOLLGATE_OUTCOME"

        """
    }

    /// An agent that runs `body` (shell lines) and writes no outcome of its own unless `body` does.
    public static func custom(_ body: String) -> String {
        "#!/bin/sh\n\(body)\n"
    }
}
