package dev.sluice.config;

/**
 * The PostgreSQL database of the controller's journal ({@code sluice.controller.postgres}), used
 * when {@link ControllerSettings#journal()} is {@link Journal#POSTGRES}. The database must exist;
 * the tables are created at start-up.
 *
 * @param url JDBC URL, {@code jdbc:postgresql://host:port/database}
 * @param user the database user
 * @param password the user's password; never printed by {@link #toString()}
 */
public record PostgresSettings(String url, String user, String password) {
  @Override
  public String toString() {
    return "PostgresSettings[url=" + url + ", user=" + user + ", password=(hidden)]";
  }
}
