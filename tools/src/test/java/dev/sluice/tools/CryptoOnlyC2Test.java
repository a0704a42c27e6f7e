package dev.sluice.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CryptoOnlyC2} on a real JVM: the directives parse, C2 compiles the JDK's AES-GCM and
 * nothing else, and a method C2 would have compiled is compiled by C1 instead.
 */
class CryptoOnlyC2Test {

  /** A line of {@code -XX:+PrintCompilation}: its level and method. */
  private static final Pattern COMPILED =
      Pattern.compile("^\\s*\\d+\\s+\\d+\\s+(?:[%sbn!]+\\s+)?([0-4])\\s+(\\S+::\\S+)");

  @TempDir Path dir;

  @Test
  void writesTheFileOnceAndAgainWhenItDiffers() throws Exception {
    List<String> options = CryptoOnlyC2.options(dir);
    Path file = dir.resolve(CryptoOnlyC2.FILE_NAME);
    assertEquals(
        List.of(
            "-XX:+UnlockDiagnosticVMOptions",
            "-XX:CompilerDirectivesFile=" + file,
            "-XX:CompileCommand=CompileThresholdScaling,com/sun/crypto/provider/*.*,0.05"),
        options);
    assertEquals(CryptoOnlyC2.DIRECTIVES, Files.readString(file));
    Files.writeString(file, "[]");
    CryptoOnlyC2.options(dir);
    assertEquals(CryptoOnlyC2.DIRECTIVES, Files.readString(file));
  }

  @Test
  void c2CompilesTheJdksAesGcmAndNothingElse() throws Exception {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(CryptoOnlyC2.options(dir));
    command.add("-XX:+PrintCompilation");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(CryptoOnlyC2Workload.class.getName());
    command.add("8192"); // 128 MiB: GHASH and AES reach C2's thresholds after about 30 MiB
    Process jvm = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(jvm.waitFor(2, TimeUnit.MINUTES));
    assertEquals(0, jvm.exitValue(), output);
    assertTrue(output.contains("2 compiler directives added"), output);
    // HotSpot echoes the command it parsed: the crypto provider's methods, scaled by 1/20.
    assertTrue(
        output.contains(
            "CompileCommand: CompileThresholdScaling com/sun/crypto/provider/*.* double"
                + " CompileThresholdScaling = 0.050000"),
        output);
    assertTrue(output.contains("workload done"), output);

    String mix = CryptoOnlyC2Workload.class.getName() + "::mix";
    List<String> c2Crypto = new ArrayList<>();
    List<String> c2Other = new ArrayList<>();
    boolean mixByC1Alone = false;
    for (String line : output.split("\n")) {
      Matcher m = COMPILED.matcher(line);
      if (!m.find()) {
        continue;
      }
      String level = m.group(1);
      String method = m.group(2);
      if (level.equals("1") && method.equals(mix)) {
        mixByC1Alone = true;
      } else if (level.equals("4")) {
        boolean crypto =
            method.startsWith("com.sun.crypto.provider.")
                || method.startsWith("sun.security.provider.");
        (crypto ? c2Crypto : c2Other).add(method);
      }
    }
    assertTrue(
        c2Crypto.stream().anyMatch(m -> m.startsWith("com.sun.crypto.provider.GHASH::")), output);
    assertTrue(
        c2Crypto.stream().anyMatch(m -> m.startsWith("com.sun.crypto.provider.AESCrypt::")),
        output);
    assertTrue(c2Other.isEmpty(), "compiled by C2 although excluded: " + c2Other);
    assertTrue(output.contains("made not compilable on level 4  " + mix), output);
    assertTrue(mixByC1Alone, "the hot method is compiled by C1 without profiling (level 1)");
  }
}
