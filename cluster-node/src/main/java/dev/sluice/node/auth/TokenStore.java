package dev.sluice.node.auth;

import dev.sluice.api.TokenFile;
import dev.sluice.config.SettingsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tokens a node accepts, read from its tokens file ({@link TokenFile}) and re-read when the
 * file changes.
 *
 * <p>Start-up reads the file and fails the node on any problem ({@link SettingsException}, one line
 * per problem naming the file and the entry). Afterwards {@link #current()} answers from memory
 * and, at most once per reload interval (by the injected clock), asks the reload executor to check
 * the file: when its identity, modification time or size changed, it is read again. A file that
 * became invalid, unreadable or absent keeps the previous tokens in force and logs one ERROR for
 * that version of the file; the next change is read again. The CLI replaces the file atomically, so
 * a reader sees a whole file.
 *
 * <p>Thread-safety: {@link #current()} is lock-free and never does I/O, so it is safe on stream and
 * actor threads; {@link #reloadIfChanged()} does the I/O, runs one at a time, and belongs on a
 * blocking executor.
 */
public final class TokenStore {
  /** The settings key that names the file, as messages quote it. */
  public static final String TOKENS_FILE_KEY = "sluice.security.api.tokens-file";

  private static final Logger log = LoggerFactory.getLogger(TokenStore.class);
  private static final Set<PosixFilePermission> SHARED =
      EnumSet.complementOf(
          EnumSet.of(
              PosixFilePermission.OWNER_READ,
              PosixFilePermission.OWNER_WRITE,
              PosixFilePermission.OWNER_EXECUTE));

  /** What tells one version of the file from another. */
  private record Stamp(Object fileKey, FileTime modified, long size) {
    static final Stamp MISSING = new Stamp(null, FileTime.fromMillis(0), -1);
  }

  private final TokenFile file;
  private final Duration reloadInterval;
  private final Clock clock;
  private final Executor reloads;
  private final AtomicReference<Tokens> current;
  private final AtomicLong nextCheckMillis;

  /** The version last read, valid or not; guarded by {@code this}. */
  private Stamp seen;

  private TokenStore(
      TokenFile file,
      Duration reloadInterval,
      Clock clock,
      Executor reloads,
      Tokens tokens,
      Stamp stamp) {
    this.file = file;
    this.reloadInterval = reloadInterval;
    this.clock = clock;
    this.reloads = reloads;
    this.current = new AtomicReference<>(tokens);
    this.nextCheckMillis = new AtomicLong(clock.millis() + reloadInterval.toMillis());
    this.seen = stamp;
  }

  /**
   * Reads {@code tokensFile} once, now.
   *
   * @param reloadInterval the least time between two checks of the file
   * @param clock decides when a check is due
   * @param reloads where checks run (a blocking-I/O executor)
   * @throws SettingsException when the file is absent, unreadable or invalid, one line per problem
   */
  public static TokenStore open(
      Path tokensFile, Duration reloadInterval, Clock clock, Executor reloads) {
    if (reloadInterval.isNegative()) {
      throw new IllegalArgumentException("negative tokens reload interval: " + reloadInterval);
    }
    TokenFile file = new TokenFile(tokensFile);
    String prefix = TOKENS_FILE_KEY + " = " + tokensFile + ": ";
    try {
      Stamp stamp = stamp(tokensFile);
      Tokens tokens = Tokens.of(file.read());
      log.info("{}{} tokens", prefix, tokens.size());
      warnIfShared(tokensFile);
      return new TokenStore(file, reloadInterval, clock, reloads, tokens, stamp);
    } catch (NoSuchFileException e) {
      throw new SettingsException(
          List.of(prefix + "no such file (bin/sluice token create writes one)"));
    } catch (IOException e) {
      throw new SettingsException(List.of(prefix + "cannot read it: " + e));
    } catch (TokenFile.InvalidTokenFileException e) {
      List<String> lines = new ArrayList<>();
      for (String problem : e.problems()) {
        lines.add(prefix + problem);
      }
      throw new SettingsException(lines);
    }
  }

  /** The file's path. */
  public Path file() {
    return file.path();
  }

  /**
   * The tokens in force. When a check of the file is due, schedules it on the reload executor; this
   * call answers with what is in force meanwhile.
   */
  public Tokens current() {
    long now = clock.millis();
    long due = nextCheckMillis.get();
    if (now >= due && nextCheckMillis.compareAndSet(due, now + reloadInterval.toMillis())) {
      try {
        reloads.execute(this::reloadIfChanged);
      } catch (RejectedExecutionException e) {
        // the node is shutting down; the tokens in force serve until it has
      }
    }
    return current.get();
  }

  /**
   * Reads the file again if it changed since it was last read; blocking.
   *
   * @return true when a new set of tokens is in force
   */
  public synchronized boolean reloadIfChanged() {
    Path path = file.path();
    Stamp stamp;
    try {
      stamp = stamp(path);
    } catch (NoSuchFileException e) {
      if (!Stamp.MISSING.equals(seen)) {
        seen = Stamp.MISSING;
        log.error(
            "{} = {}: the file is gone; the {} tokens read before stay in force",
            TOKENS_FILE_KEY,
            path,
            current.get().size());
      }
      return false;
    } catch (IOException e) {
      log.error(
          "{} = {}: cannot check the file ({}); the {} tokens read before stay in force",
          TOKENS_FILE_KEY,
          path,
          e.toString(),
          current.get().size());
      return false;
    }
    if (stamp.equals(seen)) {
      return false;
    }
    seen = stamp;
    Tokens before = current.get();
    try {
      Tokens tokens = Tokens.of(file.read());
      current.set(tokens);
      log.info(
          "{} = {}: changed, {} tokens (were {})",
          TOKENS_FILE_KEY,
          path,
          tokens.size(),
          before.size());
      warnIfShared(path);
      return true;
    } catch (TokenFile.InvalidTokenFileException e) {
      log.error(
          "{} = {}: changed but is invalid, the {} tokens read before stay in force: {}",
          TOKENS_FILE_KEY,
          path,
          before.size(),
          String.join("; ", e.problems()));
    } catch (IOException e) {
      log.error(
          "{} = {}: changed but cannot be read ({}); the {} tokens read before stay in force",
          TOKENS_FILE_KEY,
          path,
          e.toString(),
          before.size());
    }
    return false;
  }

  private static Stamp stamp(Path path) throws IOException {
    BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
    return new Stamp(a.fileKey(), a.lastModifiedTime(), a.size());
  }

  /** Hashes are no secret worth guarding, but a file others may write lets them add a token. */
  private static void warnIfShared(Path path) {
    try {
      Set<PosixFilePermission> mode = Files.getPosixFilePermissions(path);
      if (mode.stream().anyMatch(SHARED::contains)) {
        log.warn(
            "{} = {}: mode {} lets group or others read or write the tokens file; chmod 600 it",
            TOKENS_FILE_KEY,
            path,
            PosixFilePermissions.toString(mode));
      }
    } catch (UnsupportedOperationException | IOException e) {
      // no POSIX permissions here: nothing to check
    }
  }
}
