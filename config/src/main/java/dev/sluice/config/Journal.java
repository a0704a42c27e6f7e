package dev.sluice.config;

/**
 * The database that holds the controller's events and snapshots ({@code
 * sluice.controller.journal}). Every node of a cluster must select the same one: the controller
 * moves between nodes and reads what the previous one wrote.
 *
 * <p>{@code H2} is an embedded file that the nodes of one machine share; {@code POSTGRES} is a
 * server, for nodes on several machines.
 *
 * <p>The HOCON spelling ({@link #configValue()}: {@code h2}, {@code postgres}) is also the name of
 * the pekko-persistence-jdbc shared database that {@code sluice-controller.conf} selects with it,
 * so it is read exactly: "H2" would name no database.
 */
public enum Journal implements ConfigEnum {
  H2,
  POSTGRES
}
