package dev.sluice.tools;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The JIT choice for the node JVMs of a local cluster with TLS: C2 compiles only the JDK's crypto
 * providers, every other method is compiled by C1 alone.
 *
 * <p>Why: the JDK runs AES-GCM on the processor's AES and carry-less multiply instructions only in
 * C2-compiled code, so TLS needs C2; but with C2 for everything, C2's compilations in three fresh
 * node JVMs on the same few cores took a third of the nodes' CPU in a TLS produce run (the leader 9
 * of its 28 CPU seconds). HotSpot's compiler directives exclude every other method from C2; a
 * method excluded from C2 is compiled by C1 again without profiling (HotSpot marks it not
 * compilable at level 4 and compiles it at level 1), the code a plaintext cluster's C1-only nodes
 * run. The crypto provider's methods also reach C2 after a twentieth of the usual counts ({@link
 * #CRYPTO_THRESHOLD_SCALING}): in a fresh JVM, AES-GCM runs as plain Java for its first 30 MiB or
 * so, which a restarted follower's catch-up spends decrypting. Measured in docs/benchmarks.md, "C2
 * for the crypto only".
 *
 * <p>Directives are read from a file ({@code -XX:CompilerDirectivesFile}, a diagnostic option), so
 * {@link #options} writes it into the node's directory before each start; a JVM that cannot parse
 * it refuses to start, which its log shows.
 */
final class CryptoOnlyC2 {

  /** The directives file in a node's directory. */
  static final String FILE_NAME = "jit-directives.json";

  /**
   * The directives: the first entry whose pattern matches a method applies to it. {@code
   * com.sun.crypto.provider} holds AES, GCM and GHASH; {@code sun.security.provider} the SHA-2
   * digests of the TLS 1.3 key schedule and of the API tokens.
   */
  static final String DIRECTIVES =
      """
      [
        {
          match: ["com/sun/crypto/provider/*.*", "sun/security/provider/*.*"],
          c2: { Exclude: false }
        },
        {
          match: ["*.*"],
          c2: { Exclude: true }
        }
      ]
      """;

  /** How much sooner than other methods C2 compiles {@code com.sun.crypto.provider}'s. */
  static final String CRYPTO_THRESHOLD_SCALING = "0.05";

  private CryptoOnlyC2() {}

  /**
   * Writes the directives file into {@code nodeDir} (when it is missing or differs) and returns the
   * JVM options that apply it, each one argument (the path may hold spaces).
   */
  static List<String> options(Path nodeDir) throws IOException {
    Path file = nodeDir.resolve(FILE_NAME);
    if (!Files.isRegularFile(file) || !Files.readString(file, UTF_8).equals(DIRECTIVES)) {
      Files.writeString(file, DIRECTIVES, UTF_8);
    }
    return List.of(
        "-XX:+UnlockDiagnosticVMOptions",
        "-XX:CompilerDirectivesFile=" + file,
        "-XX:CompileCommand=CompileThresholdScaling,com/sun/crypto/provider/*.*,"
            + CRYPTO_THRESHOLD_SCALING);
  }
}
