package dev.sluice.node.auth;

import dev.sluice.api.Auth;
import dev.sluice.api.Permission;
import dev.sluice.api.TokenFile;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One version of the accepted tokens, as a tokens file held them: a lookup from a presented token
 * to its entry.
 *
 * <p>Lookup hashes the presented token ({@link Auth#sha256Hex}), finds the entry by hash and
 * compares the hashes once more in constant time ({@link MessageDigest#isEqual}). The map lookup
 * only ever compares the hash of the caller's own guess, which tells nothing about a stored token.
 *
 * <p>Thread-safety: immutable.
 */
public final class Tokens {
  private static final Tokens NONE = new Tokens(List.of());

  private final Map<String, TokenFile.Entry> byHash;

  private Tokens(List<TokenFile.Entry> entries) {
    Map<String, TokenFile.Entry> map = new HashMap<>();
    for (TokenFile.Entry e : entries) {
      map.put(e.sha256(), e);
    }
    this.byHash = Map.copyOf(map);
  }

  /** The tokens of {@code entries} (a file's, already checked for unique names and hashes). */
  public static Tokens of(List<TokenFile.Entry> entries) {
    return new Tokens(entries);
  }

  /** No token at all: every request is refused. */
  public static Tokens none() {
    return NONE;
  }

  /** The entry of {@code presented}, or empty when no entry holds its hash. */
  public Optional<TokenFile.Entry> authenticate(String presented) {
    String hash = Auth.sha256Hex(presented);
    TokenFile.Entry entry = byHash.get(hash);
    if (entry == null
        || !MessageDigest.isEqual(
            hash.getBytes(StandardCharsets.US_ASCII),
            entry.sha256().getBytes(StandardCharsets.US_ASCII))) {
      return Optional.empty();
    }
    return Optional.of(entry);
  }

  /** Whether {@code entry} holds a permission that allows {@code action} on {@code topic}. */
  public static boolean grants(TokenFile.Entry entry, Permission.Action action, String topic) {
    for (Permission p : entry.permissions()) {
      if (p.grants(action, topic)) {
        return true;
      }
    }
    return false;
  }

  /** How many tokens there are. */
  public int size() {
    return byHash.size();
  }
}
