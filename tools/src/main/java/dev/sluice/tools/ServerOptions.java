package dev.sluice.tools;

import dev.sluice.client.SluiceClient;
import java.net.URI;
import java.net.URISyntaxException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** The {@code --server} option shared (as a mixin) by every subcommand that talks to a node. */
final class ServerOptions {

  static final String DEFAULT_SERVER = "http://127.0.0.1:7700";

  @Option(
      names = "--server",
      paramLabel = "URL",
      defaultValue = "${env:SLUICE_SERVER:-" + DEFAULT_SERVER + "}",
      converter = HttpUriConverter.class,
      description = "Node HTTP API to talk to (default: ${DEFAULT-VALUE}; env SLUICE_SERVER).")
  URI server;

  SluiceClient client() {
    return SluiceClient.create(server);
  }

  /** Rejects anything but an absolute http(s) URL at parse time, so it is a usage error. */
  static final class HttpUriConverter implements ITypeConverter<URI> {
    @Override
    public URI convert(String value) {
      try {
        URI uri = new URI(value.trim());
        String scheme = uri.getScheme();
        if (uri.getHost() == null
            || !("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))) {
          throw new TypeConversionException(
              "'" + value + "' is not an http(s) URL like " + DEFAULT_SERVER);
        }
        return uri;
      } catch (URISyntaxException e) {
        throw new TypeConversionException("'" + value + "' is not a URL: " + e.getReason());
      }
    }
  }
}
