package dev.sluice.config;

/**
 * The database that holds the controller's events and snapshots ({@code
 * sluice.controller.journal}). Every node of a cluster must select the same one: the controller
 * moves between nodes and reads what the previous one wrote.
 *
 * <p>{@code H2} is an embedded file that the nodes of one machine share; {@code POSTGRES} is a
 * server, for nodes on several machines.
 */
public enum Journal {
  H2("h2"),
  POSTGRES("postgres");

  private final String configValue;

  Journal(String configValue) {
    this.configValue = configValue;
  }

  /**
   * The HOCON spelling, which is also the name of the pekko-persistence-jdbc shared database that
   * {@code sluice-controller.conf} selects with it.
   */
  public String configValue() {
    return configValue;
  }

  /**
   * Parses the HOCON spelling exactly (the raw value also names the shared database in {@code
   * sluice-controller.conf}, where "H2" would name none); returns null for an unknown value so the
   * reader can report it.
   */
  static Journal parse(String value) {
    for (Journal j : values()) {
      if (j.configValue.equals(value)) {
        return j;
      }
    }
    return null;
  }
}
