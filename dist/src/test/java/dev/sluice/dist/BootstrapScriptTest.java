package dev.sluice.dist;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/lib/bootstrap.sh}, which {@code bin/sluice} and {@code bin/run-tests} source, on a
 * machine simulated by a PATH of stubs: {@code apt-get} records its calls and "installs" a package
 * by writing a stub {@code java} or {@code mvn} into the PATH; {@code apt-cache} offers the JDK
 * packages a test chooses; {@code java} prints the version a test chooses. Real tools the script
 * uses ({@code sed}, {@code env}, ...) are linked in; {@code mvn} and {@code java} never are.
 */
class BootstrapScriptTest {
  private static final Path ROOT =
      Path.of(System.getProperty("sluice.repository.root", "..")).toAbsolutePath().normalize();
  private static final Path BOOTSTRAP = ROOT.resolve("bin/lib/bootstrap.sh");
  private static final List<String> REAL_TOOLS =
      List.of("sed", "env", "cat", "dirname", "mkdir", "tee", "grep", "head", "rm", "readlink");

  @TempDir Path dir;
  private Path bin;
  private Path aptLog;

  @BeforeEach
  void machineWithoutJavaAndMaven() throws IOException {
    bin = Files.createDirectories(dir.resolve("bin"));
    aptLog = dir.resolve("apt.log");
    Files.createFile(aptLog);
    for (String tool : REAL_TOOLS) {
      Path real =
          Stream.of("/usr/bin/", "/bin/")
              .map(d -> Path.of(d + tool))
              .filter(Files::isExecutable)
              .findFirst()
              .orElseThrow(() -> new AssertionError("this machine has no " + tool));
      Files.createSymbolicLink(bin.resolve(tool), real);
    }
    script("id", "echo 0"); // root, as on a fresh machine and in CI: no sudo
    // What apt-get "installs": a java that reports STUB_JDK_VERSION, and a mvn.
    Path jdk = dir.resolve("jdk-package");
    Files.writeString(
        jdk,
        "#!/bin/bash\necho \"openjdk version \\\"${STUB_JDK_VERSION:-17.0.15}\\\" 2025-01-21\" >&2\n",
        UTF_8);
    Path maven = dir.resolve("maven-package");
    Files.writeString(maven, "#!/bin/bash\necho \"stub mvn $*\"\n", UTF_8);
    script(
        "apt-get",
        "echo \"apt-get $* (DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-})\" >> '" + aptLog + "'",
        "[ \"$1\" = install ] || exit 0",
        "for p in \"$@\"; do",
        "  case \"$p\" in",
        "    maven) /bin/cp '" + maven + "' '" + bin + "/mvn'; /bin/chmod +x '" + bin + "/mvn' ;;",
        "    openjdk-*-jdk-headless) /bin/cp '"
            + jdk
            + "' '"
            + bin
            + "/java';"
            + " /bin/chmod +x '"
            + bin
            + "/java' ;;",
        "  esac",
        "done");
    // apt-cache: offers the packages named in STUB_APT_OFFERS (Debian 12 offers 17).
    script(
        "apt-cache",
        "for p in ${STUB_APT_OFFERS:-openjdk-17-jdk-headless maven}; do",
        "  [ \"$2\" = \"$p\" ] && exit 0",
        "done",
        "exit 100");
  }

  @Test
  void mavenAbsentFromPathIsInstalledWithAptGet() throws Exception {
    javaStub(bin, "17.0.15");
    Run run =
        bootstrap("sluice_require_java && sluice_require_maven && echo \"java=$SLUICE_JAVA\"");
    assertEquals(0, run.exit(), run.toString());
    assertTrue(run.err().contains("no Maven (mvn) found: installing it"), run.toString());
    assertTrue(run.err().contains("installing with apt-get: maven"), run.toString());
    assertEquals(
        List.of(
            "apt-get update -q (DEBIAN_FRONTEND=noninteractive)",
            "apt-get install -y -q maven (DEBIAN_FRONTEND=noninteractive)"),
        aptCalls());
    assertTrue(Files.isExecutable(bin.resolve("mvn")), "mvn installed");
    assertEquals("java=" + bin.resolve("java"), run.out().strip());
  }

  @Test
  void noJavaAndNoMavenInstallsAJdkAndMavenAfterOneUpdate() throws Exception {
    Run run =
        bootstrap("sluice_require_java && sluice_require_maven && echo \"java=$SLUICE_JAVA\"");
    assertEquals(0, run.exit(), run.toString());
    assertTrue(run.err().contains("no java found: installing a JDK 17 or newer"), run.toString());
    assertEquals(
        List.of(
            "apt-get update -q (DEBIAN_FRONTEND=noninteractive)",
            "apt-get install -y -q openjdk-17-jdk-headless (DEBIAN_FRONTEND=noninteractive)",
            "apt-get install -y -q maven (DEBIAN_FRONTEND=noninteractive)"),
        aptCalls());
    assertEquals("java=" + bin.resolve("java"), run.out().strip());
  }

  @Test
  void aDebianWithoutJdk17InstallsTheNextOneOffered() throws Exception {
    Run run =
        bootstrap(
            Map.of(
                "STUB_APT_OFFERS", "openjdk-21-jdk-headless maven", "STUB_JDK_VERSION", "21.0.7"),
            "sluice_require_java && echo \"java=$SLUICE_JAVA\"");
    assertEquals(0, run.exit(), run.toString());
    assertTrue(
        aptCalls()
            .contains(
                "apt-get install -y -q openjdk-21-jdk-headless (DEBIAN_FRONTEND=noninteractive)"),
        aptCalls().toString());
  }

  @Test
  void aJavaOlderThan17IsRefusedNamingItsVersionAndTheFix() throws Exception {
    javaStub(bin, "11.0.21");
    Run run = bootstrap("sluice_require_java && echo reached");
    assertEquals(1, run.exit(), run.toString());
    assertFalse(run.out().contains("reached"), run.toString());
    assertTrue(
        run.err()
            .contains(
                "error: Sluice needs Java 17 or newer, and "
                    + bin.resolve("java")
                    + " is Java 11.0.21."),
        run.toString());
    assertTrue(run.err().contains("apt-get install openjdk-17-jdk-headless"), run.toString());
    assertTrue(run.err().contains("JAVA_HOME"), run.toString());
    assertEquals(List.of(), aptCalls(), "an old java is reported, not replaced");
  }

  @Test
  void java8IsReadFromItsOldVersionScheme() throws Exception {
    javaStub(bin, "1.8.0_392");
    Run run = bootstrap("sluice_check_java");
    assertEquals(1, run.exit(), run.toString());
    assertTrue(run.err().contains("is Java 1.8.0_392."), run.toString());
  }

  @Test
  void javaHomeWinsOverPathAndIsChecked() throws Exception {
    javaStub(bin, "11.0.21");
    Path jdk21 = Files.createDirectories(dir.resolve("jdk-21/bin"));
    javaStub(jdk21, "21");
    Run ok =
        bootstrap(
            Map.of("JAVA_HOME", jdk21.getParent().toString()),
            "sluice_require_java && echo \"java=$SLUICE_JAVA\"");
    assertEquals(0, ok.exit(), ok.toString());
    assertEquals("java=" + jdk21.resolve("java"), ok.out().strip());

    Run nowhere =
        bootstrap(Map.of("JAVA_HOME", dir.resolve("no-jdk").toString()), "sluice_require_java");
    assertEquals(1, nowhere.exit(), nowhere.toString());
    assertTrue(
        nowhere.err().contains("JAVA_HOME=" + dir.resolve("no-jdk") + " has no bin/java"),
        nowhere.toString());
    assertEquals(List.of(), aptCalls(), "a wrong JAVA_HOME is reported, not papered over");
  }

  @Test
  void theBuildShowsOneLinePerModuleAndItsErrors() throws Exception {
    javaStub(bin, "17.0.15");
    script(
        "mvn",
        "echo '[INFO] Scanning for projects...'",
        "echo '[INFO] Building Sluice config 0.1.0-SNAPSHOT                                [1/3]'",
        "echo '[INFO] Downloading from central: https://repo/a.pom'",
        "echo '[INFO] Downloaded from central: https://repo/a.pom (2 kB)'",
        "echo '[INFO] Building Sluice api 0.1.0-SNAPSHOT                                   [2/3]'",
        "echo '[INFO] Building Sluice tools 0.1.0-SNAPSHOT                                 [3/3]'",
        "echo '[ERROR] COMPILATION ERROR: Foo.java:[3,1] class, interface expected'",
        "exit 1");
    Path log = dir.resolve("build/build.log");
    Run run =
        bootstrap(
            "sluice_maven_progress '" + log + "' package && echo status=0 || echo \"status=$?\"");
    assertEquals("status=1", run.out().strip(), run.toString());
    List<String> lines = run.err().lines().toList();
    assertEquals("  [1/3] Sluice config", lines.get(0), run.toString());
    assertEquals("        downloading dependencies and plugins (first build only)…", lines.get(1));
    assertEquals("  [2/3] Sluice api", lines.get(2));
    assertEquals("  [3/3] Sluice tools", lines.get(3));
    assertTrue(run.err().contains("error: the build failed (exit 1)"), run.toString());
    assertTrue(run.err().contains("[ERROR] COMPILATION ERROR: Foo.java:[3,1]"), run.toString());
    assertTrue(Files.readString(log).contains("Scanning for projects"), "the whole log is kept");
  }

  @Test
  void theLauncherInstallsJavaWhenMissingAndRunsTheCliWithIt() throws Exception {
    // SLUICE_SKIP_BUILD: the launcher goes straight to running the CLI, with the java it found.
    Run run =
        run(
            Map.of("SLUICE_SKIP_BUILD", "1", "STUB_JDK_VERSION", "17.0.15"),
            List.of("/bin/bash", ROOT.resolve("bin/sluice").toString(), "--version"));
    assertTrue(run.err().contains("no java found: installing a JDK 17 or newer"), run.toString());
    assertTrue(
        aptCalls()
            .contains(
                "apt-get install -y -q openjdk-17-jdk-headless (DEBIAN_FRONTEND=noninteractive)"),
        aptCalls().toString());
    // The stub java prints its version for any arguments, and the launcher ran it.
    assertEquals(0, run.exit(), run.toString());
  }

  private void javaStub(Path where, String version) throws IOException {
    Files.writeString(
        where.resolve("java"),
        "#!/bin/bash\necho 'openjdk version \""
            + version
            + "\" 2025-01-21' >&2\n"
            + "echo 'OpenJDK Runtime Environment (build "
            + version
            + ")' >&2\n",
        UTF_8);
    Files.setPosixFilePermissions(
        where.resolve("java"), PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private void script(String name, String... lines) throws IOException {
    Path file = bin.resolve(name);
    Files.writeString(file, "#!/bin/bash\n" + String.join("\n", lines) + "\n", UTF_8);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private List<String> aptCalls() throws IOException {
    return Files.readAllLines(aptLog, UTF_8);
  }

  private Run bootstrap(String commands) throws Exception {
    return bootstrap(Map.of(), commands);
  }

  private Run bootstrap(Map<String, String> env, String commands) throws Exception {
    return run(
        env, List.of("/bin/bash", "-c", "set -euo pipefail; . '" + BOOTSTRAP + "'; " + commands));
  }

  private Run run(Map<String, String> env, List<String> command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    Map<String, String> e = pb.environment();
    e.remove("JAVA_HOME");
    e.put("PATH", bin.toString());
    e.putAll(env);
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the script did not end within 60 s");
    return new Run(p.exitValue(), Files.readString(out, UTF_8), Files.readString(err, UTF_8));
  }

  private record Run(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }
}
