import Testing
import TollgateCore

/// What `/bin/sh -c` is given for an agent, critic or gate command: `exec` only where it changes nothing but the
/// number of processes.
struct ShellQuotingTests {
    @Test(arguments: [
        // A program by path, alone or with plain arguments: the shell execs it.
        ("/usr/local/bin/agent", "exec /usr/local/bin/agent"),
        ("./agent.sh", "exec ./agent.sh"),
        ("bin/agent --model=fast -v", "exec bin/agent --model=fast -v"),
        // No path: a builtin, keyword or function may be meant; run as written.
        ("agent", "agent"),
        ("exit", "exit"),
        ("claude -p", "claude -p"),
        // Shell syntax of any kind: as written.
        ("./a.sh; ./b.sh", "./a.sh; ./b.sh"),
        ("./a.sh && ./b.sh", "./a.sh && ./b.sh"),
        ("./a.sh | tee log", "./a.sh | tee log"),
        ("./a.sh > out", "./a.sh > out"),
        ("./a.sh $HOME", "./a.sh $HOME"),
        ("./a.sh 'quoted arg'", "./a.sh 'quoted arg'"),
        ("./a.sh *.md", "./a.sh *.md"),
        ("./a.sh &", "./a.sh &"),
        // An assignment before the program, or irregular spacing: as written.
        ("A=1/2 ./a.sh", "A=1/2 ./a.sh"),
        ("./a.sh  two-spaces", "./a.sh  two-spaces"),
        (" ./a.sh", " ./a.sh"),
        ("./a.sh\n./b.sh", "./a.sh\n./b.sh"),
        ("", ""),
    ])
    func execsOnlyAPlainCommandByPath(command: String, script: String) {
        #expect(ShellQuoting.script(for: command) == script)
    }

    @Test(arguments: [("plain/path-1.0", "plain/path-1.0"), ("it's", #"'it'\''s'"#), ("", "''"), ("a b", "'a b'")])
    func quotesWhatAShellWouldChange(word: String, quoted: String) {
        #expect(ShellQuoting.quoted(word) == quoted)
    }
}
