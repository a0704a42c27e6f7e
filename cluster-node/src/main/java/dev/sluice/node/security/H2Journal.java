package dev.sluice.node.security;

import dev.sluice.config.ControllerSettings;
import dev.sluice.config.SettingsException;
import dev.sluice.security.SecureFiles;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The H2 journal's exposure: in {@code AUTO_SERVER} mode the first JVM that opens the file serves
 * it to the others over TCP, on every interface unless the JVM property {@value #BIND_ADDRESS} says
 * otherwise. A node therefore
 *
 * <ul>
 *   <li>sets {@value #BIND_ADDRESS} to {@value #LOOPBACK} when it is absent ({@link
 *       #defaultBindAddress}), and refuses to start when H2's effective value (read once, when H2's
 *       classes load) is not a loopback literal ({@link #checkBindAddress});
 *   <li>connects with a password from {@code sluice.controller.h2-password-file}, by default {@code
 *       <h2-path>.password}, created with mode 0600 and a random value on first start; the nodes of
 *       one machine share the journal directory and so the file ({@link #open});
 *   <li>gives a journal made by an older version, whose password is empty, the file's password,
 *       with one WARN.
 * </ul>
 *
 * The journal directory is created 0700: it also holds {@code journal.lock.db}, whose content is
 * the key a remote H2 client needs besides the password.
 *
 * <p>Stateless; the methods are safe to call from any thread, and nodes of one machine that race on
 * the first start read the same password file.
 */
public final class H2Journal {
  public static final String BIND_ADDRESS = "h2.bindAddress";
  public static final String LOOPBACK = "127.0.0.1";
  public static final String PASSWORD_FILE_KEY = "sluice.controller.h2-password-file";

  /** {@code org.h2.api.ErrorCode.WRONG_USER_OR_PASSWORD}. */
  static final int WRONG_USER_OR_PASSWORD = 28000;

  /** {@code org.h2.api.ErrorCode.ERROR_OPENING_DATABASE_1}. */
  static final int ERROR_OPENING_DATABASE = 8000;

  /** {@code org.h2.api.ErrorCode.DATABASE_ALREADY_OPEN_1}. */
  static final int DATABASE_ALREADY_OPEN = 90020;

  /** {@code org.h2.api.ErrorCode.CONNECTION_BROKEN_1}. */
  static final int CONNECTION_BROKEN = 90067;

  /**
   * How long a node retries opening a journal whose lock file other nodes are taking at the same
   * moment. Nodes of one machine started together all open the journal here; H2's file lock refuses
   * an opener that sees the lock file change under it ("Lock file recently modified", "Another
   * process was faster"), or that finds it locked before the holder wrote its server's address
   * there ("Locked by another process"), instead of waiting; and the holder's server stops when the
   * holder closes its last connection, breaking a connection to it that was just made ("Connection
   * is broken"). A later attempt finds the current holder's server, or the lock.
   */
  static final java.time.Duration LOCK_RACE_RETRY = java.time.Duration.ofSeconds(60);

  private static final Logger log = LoggerFactory.getLogger(H2Journal.class);
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private H2Journal() {}

  /** The user and password a node connects with; the password is never printed. */
  public record Credentials(String user, String password) {
    @Override
    public String toString() {
      return "Credentials[user=" + user + ", password=***]";
    }
  }

  /** Sets {@value #BIND_ADDRESS} to {@value #LOOPBACK} unless the JVM was given a value. */
  public static void defaultBindAddress() {
    if (System.getProperty(BIND_ADDRESS) == null) {
      System.setProperty(BIND_ADDRESS, LOOPBACK);
    }
  }

  /**
   * Refuses H2's effective bind address unless it is a loopback literal. H2 reads the property
   * once, when its classes load, so a JVM that loaded H2 before the property was set is caught here
   * too.
   *
   * @throws SettingsException naming the property, its value and why
   */
  public static void checkBindAddress() {
    checkBindAddress(org.h2.engine.SysProperties.BIND_ADDRESS);
  }

  /**
   * Refuses {@code value} as H2's bind address unless it is a loopback literal.
   *
   * @param value the property's value; null when unset (H2 then listens on every interface)
   * @throws SettingsException naming the property, its value and why
   */
  static void checkBindAddress(String value) {
    String why =
        "the H2 journal server must listen on loopback only (-D"
            + BIND_ADDRESS
            + "="
            + LOOPBACK
            + "); use PostgreSQL across machines";
    if (value == null || value.isBlank()) {
      throw new SettingsException(
          List.of(BIND_ADDRESS + " = (unset): H2 would listen on every interface; " + why));
    }
    String v = value.strip();
    boolean literal = IPV4.matcher(v).matches() || v.contains(":");
    if (!literal) {
      throw new SettingsException(
          List.of(BIND_ADDRESS + " = " + value + ": not an IP literal; " + why));
    }
    try {
      if (!InetAddress.getByName(v).isLoopbackAddress()) {
        throw new SettingsException(List.of(BIND_ADDRESS + " = " + value + ": " + why));
      }
    } catch (UnknownHostException e) {
      throw new SettingsException(
          List.of(BIND_ADDRESS + " = " + value + ": not an IP address; " + why));
    }
  }

  /** The file holding the H2 password: the configured one, else {@code <h2Path>.password}. */
  public static Path passwordFile(ControllerSettings controller, Path h2Path) {
    return controller
        .h2PasswordFile()
        .orElseGet(() -> h2Path.resolveSibling(h2Path.getFileName() + ".password"));
  }

  /**
   * Checks the bind address, creates the journal directory (0700) and the password file (0600) when
   * missing, and connects once to {@code url}: a new journal is created with the password, one with
   * the empty password of older versions gets the password.
   *
   * @param h2Path the journal file without its {@code .mv.db} suffix
   * @param url the JDBC URL the controller's journal uses
   * @throws SettingsException when the bind address is not loopback, the password file cannot be
   *     read or created, or the journal refuses both the password and the empty one
   */
  public static Credentials open(ControllerSettings controller, Path h2Path, String url) {
    checkBindAddress();
    Path file = passwordFile(controller, h2Path);
    String password;
    try {
      Path dir = h2Path.toAbsolutePath().getParent();
      if (!Files.isDirectory(dir)) {
        SecureFiles.createPrivateDirectory(dir);
      } else if (!SecureFiles.isPrivate(dir)) {
        log.warn(
            "the H2 journal directory {} is readable by other users; its journal.lock.db holds the"
                + " key of the H2 server (chmod 700 it)",
            dir);
      }
      password = SecureFiles.readOrCreateSecret(file);
      if (!SecureFiles.isPrivate(file)) {
        log.warn("{} = {}: readable by other users (chmod 600 it)", PASSWORD_FILE_KEY, file);
      }
    } catch (IOException e) {
      throw new SettingsException(
          List.of(PASSWORD_FILE_KEY + " = " + file + ": cannot read or create it (" + e + ")"));
    }
    Credentials credentials = new Credentials(controller.h2User(), password);
    connect(url, credentials, file);
    return credentials;
  }

  private static void connect(String url, Credentials credentials, Path file) {
    try (Connection c = getConnection(url, credentials.user(), credentials.password())) {
      return;
    } catch (SQLException e) {
      if (e.getErrorCode() != WRONG_USER_OR_PASSWORD) {
        throw new IllegalStateException("cannot open the H2 journal " + url + ": " + e, e);
      }
    }
    try (Connection c = getConnection(url, credentials.user(), "")) {
      setPassword(c, credentials.password());
      log.warn(
          "the H2 journal {} had an empty password (made by an older version); it now has the"
              + " password in {}",
          url,
          file);
    } catch (SQLException e) {
      if (e.getErrorCode() == WRONG_USER_OR_PASSWORD) {
        throw new SettingsException(
            List.of(
                PASSWORD_FILE_KEY
                    + " = "
                    + file
                    + ": the H2 journal "
                    + url
                    + " refuses user "
                    + credentials.user()
                    + " with this password (and with an empty one); restore the password file"
                    + " the journal was created with"));
      }
      throw new IllegalStateException("cannot open the H2 journal " + url + ": " + e, e);
    }
  }

  /**
   * A connection, retried for up to {@link #LOCK_RACE_RETRY} while other JVMs race for the lock
   * file; any other failure, and the last one, is thrown.
   */
  private static Connection getConnection(String url, String user, String password)
      throws SQLException {
    long deadline = System.nanoTime() + LOCK_RACE_RETRY.toNanos();
    long backoffMillis = 100;
    for (int attempt = 1; ; attempt++) {
      try {
        return DriverManager.getConnection(url, user, password);
      } catch (SQLException e) {
        if (!isLockRace(e) || System.nanoTime() - deadline > 0) {
          throw e;
        }
        log.info(
            "the H2 journal {} is being opened by another node ({}); attempt {} again in {} ms",
            url,
            e.getMessage(),
            attempt + 1,
            backoffMillis);
        try {
          Thread.sleep(
              backoffMillis + java.util.concurrent.ThreadLocalRandom.current().nextLong(100));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
        backoffMillis = Math.min(backoffMillis * 2, 2_000);
      }
    }
  }

  /** H2's file lock refused this opener because another one was taking the lock right then. */
  static boolean isLockRace(SQLException e) {
    String message = String.valueOf(e.getMessage());
    return e.getErrorCode() == ERROR_OPENING_DATABASE
            && (message.contains("Lock file recently modified")
                || message.contains("Another process was faster")
                || message.contains("Concurrent update"))
        || e.getErrorCode() == DATABASE_ALREADY_OPEN
            && message.contains("Locked by another process")
        || e.getErrorCode() == CONNECTION_BROKEN;
  }

  private static void setPassword(Connection c, String password) throws SQLException {
    String user;
    try (Statement s = c.createStatement();
        ResultSet r = s.executeQuery("SELECT CURRENT_USER")) {
      r.next();
      user = r.getString(1);
    }
    try (PreparedStatement p =
        c.prepareStatement("ALTER USER \"" + user.replace("\"", "\"\"") + "\" SET PASSWORD ?")) {
      p.setString(1, password);
      p.execute();
    }
  }
}
