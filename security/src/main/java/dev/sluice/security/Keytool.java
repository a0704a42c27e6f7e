package dev.sluice.security;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The JDK's {@code keytool}, run as a process: the JDK can sign certificates only through it
 * ({@code keytool} is no {@link java.util.spi.ToolProvider}). Every call starts a JVM (about a
 * second with the start-up flags used here), so callers cache what it makes.
 *
 * <p>The store password reaches keytool through an environment variable ({@code -storepass:env}),
 * never the command line, where {@code ps} would show it. PKCS12 stores use it for their keys too.
 *
 * <p>Immutable; thread-safe: calls may run in parallel.
 */
public final class Keytool {
  private static final String PASSWORD_ENV = "SLUICE_KEYTOOL_STOREPASS";

  private final Path executable;

  public Keytool(Path executable) {
    this.executable = executable;
  }

  /** The keytool of the JDK this JVM runs on ({@code java.home/bin/keytool}). */
  public static Keytool ofRunningJdk() {
    String name =
        System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("windows")
            ? "keytool.exe"
            : "keytool";
    return new Keytool(Path.of(System.getProperty("java.home"), "bin", name));
  }

  public Path executable() {
    return executable;
  }

  /**
   * Creates a key pair and a self-signed certificate in a new PKCS12 store.
   *
   * @param extensions keytool {@code -ext} values, e.g. {@code san=uri:sluice:node:1}
   * @param startDate keytool {@code -startdate}, e.g. {@code -10d}; empty for now
   */
  public void genKeyPair(
      Path store,
      char[] password,
      String alias,
      String dname,
      long validityDays,
      List<String> extensions,
      Optional<String> startDate)
      throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "-genkeypair",
                "-keystore",
                store.toString(),
                "-storetype",
                "PKCS12",
                "-alias",
                alias,
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                dname,
                "-validity",
                Long.toString(validityDays)));
    addExtensions(args, extensions);
    startDate.ifPresent(
        d -> {
          args.add("-startdate");
          args.add(d);
        });
    run(password, null, args);
  }

  /** A PKCS#10 certificate request (PEM) for the key {@code alias} of {@code store}. */
  public byte[] certReq(Path store, char[] password, String alias) throws IOException {
    return run(password, null, List.of("-certreq", "-keystore", store.toString(), "-alias", alias));
  }

  /**
   * Signs {@code csr} with the key {@code alias} of {@code caStore}.
   *
   * @return the issued certificate, PEM
   */
  public byte[] genCert(
      Path caStore,
      char[] password,
      String alias,
      byte[] csr,
      long validityDays,
      List<String> extensions,
      Optional<String> startDate)
      throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "-gencert",
                "-keystore",
                caStore.toString(),
                "-alias",
                alias,
                "-rfc",
                "-validity",
                Long.toString(validityDays)));
    addExtensions(args, extensions);
    startDate.ifPresent(
        d -> {
          args.add("-startdate");
          args.add(d);
        });
    return run(password, csr, args);
  }

  private static void addExtensions(List<String> args, List<String> extensions) {
    for (String ext : extensions) {
      args.add("-ext");
      args.add(ext);
    }
  }

  /**
   * Runs keytool with {@code args} (the password options are added), feeding {@code stdin}.
   *
   * @return standard output
   * @throws IOException naming the command (without the password) and keytool's output when it
   *     fails
   */
  public byte[] run(char[] password, byte[] stdin, List<String> args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(executable.toString());
    // keytool is short-lived: skip the optimizing compiler and the parallel collector.
    command.add("-J-XX:TieredStopAtLevel=1");
    command.add("-J-XX:+UseSerialGC");
    command.add("-J-Xshare:auto");
    command.addAll(args);
    command.add("-storepass:env");
    command.add(PASSWORD_ENV);
    if (!Files.isExecutable(executable)) {
      throw new IOException(
          executable + ": keytool not found or not executable (it comes with the JDK)");
    }
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().put(PASSWORD_ENV, new String(password));
    Process process = pb.start();
    CompletableFuture<byte[]> out = drain(process.getInputStream());
    CompletableFuture<byte[]> err = drain(process.getErrorStream());
    try (OutputStream in = process.getOutputStream()) {
      if (stdin != null) {
        in.write(stdin);
      }
    }
    int exit;
    try {
      exit = process.waitFor();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while running " + String.join(" ", command), e);
    }
    byte[] stdout = out.join();
    if (exit != 0) {
      throw new IOException(
          "keytool failed (exit "
              + exit
              + "): "
              + String.join(" ", command)
              + "\n"
              + new String(stdout, StandardCharsets.UTF_8).strip()
              + "\n"
              + new String(err.join(), StandardCharsets.UTF_8).strip());
    }
    return stdout;
  }

  private static CompletableFuture<byte[]> drain(InputStream stream) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (stream) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            stream.transferTo(buffer);
            return buffer.toByteArray();
          } catch (IOException e) {
            return new byte[0];
          }
        },
        // its own thread: a pool thread blocked on a pipe could starve another call's drain
        task -> {
          Thread t = new Thread(task, "keytool-output");
          t.setDaemon(true);
          t.start();
        });
  }
}
