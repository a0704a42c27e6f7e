package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@code sluice --version} prints the version the build wrote, never a placeholder. */
class VersionTest {

  @Test
  void theVersionOptionPrintsTheProjectVersion() {
    String expected = System.getProperty("sluice.project.version");
    CliRun run = CliRun.run("--version");
    assertEquals(0, run.exitCode(), run.toString());
    assertEquals("sluice " + expected + System.lineSeparator(), run.out(), run.toString());
    assertTrue(expected != null && expected.matches("\\d+\\.\\d+\\.\\d+.*"), expected);
  }
}
