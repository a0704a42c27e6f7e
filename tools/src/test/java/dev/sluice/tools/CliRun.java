package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** One CLI invocation in-process: exit code and what it wrote to stdout and stderr. */
record CliRun(int exitCode, String out, String err) {

  static CliRun run(String... args) {
    return runWithStdin("", args);
  }

  static CliRun runWithStdin(String stdin, String... args) {
    return run(new ByteArrayInputStream(stdin.getBytes(UTF_8)), args);
  }

  static CliRun run(InputStream stdin, String... args) {
    return run(new SluiceCli(stdin, false), args);
  }

  /** With {@code env} as the whole environment the commands see. */
  static CliRun runWithEnv(Map<String, String> env, String... args) {
    return run(new SluiceCli(new ByteArrayInputStream(new byte[0]), false, env), args);
  }

  private static CliRun run(SluiceCli cli, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        SluiceCli.commandLine(cli, new PrintWriter(out, true), new PrintWriter(err, true))
            .execute(args);
    return new CliRun(code, out.toString(), err.toString());
  }

  @Override
  public String toString() {
    return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
  }
}
