/**
 * Every setting of a Sluice node as typed, immutable records ({@link
 * dev.sluice.config.SluiceSettings} and its parts), read once from the {@code sluice} section of a
 * HOCON config and validated across keys.
 *
 * <p>{@code reference.conf} holds every key with its default and a comment; {@link
 * dev.sluice.config.SluiceConfigLoader} layers a node's file and overrides on top of it; {@code
 * SettingsReader} turns the section into records; {@link dev.sluice.config.SettingsValidator} holds
 * every rule, in one place, and reports all violations in one {@link
 * dev.sluice.config.SettingsException}. Components take the records, never the raw config. No Pekko
 * and no other Sluice module here.
 */
package dev.sluice.config;
