package dev.sluice.node.auth;

import dev.sluice.api.Permission;
import dev.sluice.api.TokenFile;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.http.javadsl.server.directives.SecurityDirectives.ProvidedCredentials;
import org.apache.pekko.http.scaladsl.server.directives.Credentials;

/**
 * Authentication of the management port ({@code management.auth = tokens}). pekko-management offers
 * HTTP Basic only, so the password is a bearer token holding {@code admin}; the user name is not
 * checked (the token's name is a good habit). The answer is the token's name.
 *
 * <p>Hand {@link #authenticate} to {@code ManagementRouteProviderSettings.withAuth}; it wraps every
 * management route, {@code /ready} and {@code /alive} included.
 *
 * <p>Thread-safety: immutable; the tokens in force come from the store on each request.
 */
public final class ManagementAuth {
  private final TokenStore store;

  public ManagementAuth(TokenStore store) {
    this.store = Objects.requireNonNull(store, "store");
  }

  /** The name of the token the Basic password is, when that token holds {@code admin}. */
  public CompletionStage<Optional<String>> authenticate(Optional<ProvidedCredentials> credentials) {
    if (credentials.isEmpty()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    // The Java view offers only a comparison with a clear secret; the stored secret is a hash, so
    // the password is taken from the Scala view it wraps (its one product element).
    Credentials.Provided provided = (Credentials.Provided) credentials.get().productElement(0);
    AtomicReference<String> name = new AtomicReference<>();
    provided.provideVerify(
        password -> {
          adminToken(password).ifPresent(name::set);
          return name.get() != null;
        });
    return CompletableFuture.completedFuture(Optional.ofNullable(name.get()));
  }

  /** The name of {@code token}'s entry, when it is known and holds {@code admin}. */
  public Optional<String> adminToken(String token) {
    return store
        .current()
        .authenticate(token)
        .filter(e -> Tokens.grants(e, Permission.Action.ADMIN, ""))
        .map(TokenFile.Entry::name);
  }
}
