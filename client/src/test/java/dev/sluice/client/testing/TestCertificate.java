package dev.sluice.client.testing;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A self-signed EC P-256 server certificate for {@code localhost} and 127.0.0.1, made with the
 * running JDK's {@code keytool} (the JDK has no public API that issues certificates). Being
 * self-signed, its PEM is its own trust anchor: it is what a client gets as its CA file.
 *
 * <p>Each {@link #generate} starts two keytool JVMs (a few seconds): generate once per test class.
 *
 * <p>Thread-safety: immutable once generated.
 */
public final class TestCertificate {

  private static final char[] PASSWORD = "test-store-password".toCharArray();
  private static final long KEYTOOL_TIMEOUT_SECONDS = 120;

  private final Path keyStore;
  private final Path pem;

  private TestCertificate(Path keyStore, Path pem) {
    this.keyStore = keyStore;
    this.pem = pem;
  }

  /** Writes {@code <name>.p12} (key and certificate) and {@code <name>.pem} into {@code dir}. */
  public static TestCertificate generate(Path dir, String name) throws IOException {
    Path keyStore = dir.resolve(name + ".p12");
    Path pem = dir.resolve(name + ".pem");
    keytool(
        dir,
        "-genkeypair",
        "-alias",
        "server",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=localhost",
        "-ext",
        "san=dns:localhost,ip:127.0.0.1",
        "-validity",
        "30",
        "-keystore",
        keyStore.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        new String(PASSWORD));
    keytool(
        dir,
        "-exportcert",
        "-rfc",
        "-alias",
        "server",
        "-keystore",
        keyStore.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        new String(PASSWORD),
        "-file",
        pem.toString());
    return new TestCertificate(keyStore, pem);
  }

  /** The certificate as PEM: the CA file a client trusts it with. */
  public Path pem() {
    return pem;
  }

  /** A server context presenting this certificate. */
  public SSLContext serverContext() {
    try (InputStream in = Files.newInputStream(keyStore)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, PASSWORD);
      KeyManagerFactory keys = KeyManagerFactory.getInstance("PKIX");
      keys.init(store, PASSWORD);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys.getKeyManagers(), null, null);
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot load the test key store " + keyStore, e);
    }
  }

  private static void keytool(Path dir, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    // keytool is a JVM of its own: start it cheaply.
    command.add("-J-XX:TieredStopAtLevel=1");
    command.add("-J-XX:+UseSerialGC");
    command.addAll(List.of(args));
    Path log = Files.createTempFile(dir, "keytool", ".log");
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.PIPE)
            .start();
    process.getOutputStream().close();
    try {
      if (!process.waitFor(KEYTOOL_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IOException(
            "keytool " + args[0] + " did not finish within " + KEYTOOL_TIMEOUT_SECONDS + " s");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while keytool " + args[0] + " ran", e);
    }
    if (process.exitValue() != 0) {
      throw new IOException(
          "keytool "
              + args[0]
              + " failed with exit code "
              + process.exitValue()
              + ": "
              + Files.readString(log, UTF_8));
    }
  }
}
