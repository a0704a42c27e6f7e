package dev.sluice.api;

import java.util.Objects;

/**
 * The body of a 307 answer, {@code {"redirect": target}}: the same URI as the {@code Location}
 * header, for clients that show the body. A client repeats the request, with the same method and
 * body, at {@code redirect}.
 *
 * <p>Thread-safety: immutable.
 *
 * @param redirect the absolute URI of the node that can serve the request, with the request's path
 *     and query
 */
public record RedirectBody(String redirect) {
  public RedirectBody {
    Objects.requireNonNull(redirect, "redirect");
  }
}
