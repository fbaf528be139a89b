package dev.twinmesh.deploy;

import dev.twinmesh.app.TwinMeshCli;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * Container arguments parsed by the real {@code twin-mesh} command spec (nothing runs), and each option's
 * effective value: the argument when given, else its default as the container's environment resolves it.
 *
 * @param command the subcommand path, e.g. "worker" or "model random"
 * @param options effective value per long option name; null when unset
 * @param envRead the environment variables this command's options read
 */
record TwinMeshArgs(String command, Map<String, String> options, Set<String> envRead) {
  private static final Pattern ENV_DEFAULT = Pattern.compile("\\$\\{env:([A-Za-z_0-9]+)(?::-([^}]*))?}");
  private static final Pattern K8S_VAR = Pattern.compile("\\$\\(([A-Za-z_0-9]+)\\)");

  /** Parses {@code args} as the container would run them, {@code $(VAR)} expanded from {@code env}. */
  static TwinMeshArgs parse(List<String> args, Map<String, String> env) {
    List<String> expanded = new ArrayList<>();
    for (String arg : args) {
      expanded.add(K8S_VAR.matcher(arg).replaceAll(m -> Matcher.quoteReplacement(env.getOrDefault(m.group(1), m.group(0)))));
    }
    ParseResult result = TwinMeshCli.commandLine().parseArgs(expanded.toArray(String[]::new));
    List<String> path = new ArrayList<>();
    while (result.hasSubcommand()) {
      result = result.subcommand();
      path.add(result.commandSpec().name());
    }
    if (path.isEmpty()) {
      throw new CommandLine.ParameterException(TwinMeshCli.commandLine(), "no twin-mesh subcommand in " + args);
    }
    CommandSpec spec = result.commandSpec();
    spec.interpolateVariables(false); // defaults as written: ${env:NAME:-fallback}, resolved below from the container
    Map<String, String> options = new HashMap<>();
    Set<String> envRead = new LinkedHashSet<>();
    for (OptionSpec option : spec.options()) {
      String original = option.defaultValue();
      Matcher m = original == null ? null : ENV_DEFAULT.matcher(original);
      if (m != null && m.matches()) {
        envRead.add(m.group(1));
      }
      String value;
      if (result.hasMatchedOption(option)) {
        value = String.join(",", result.matchedOption(option.longestName()).stringValues());
      } else if (m != null && m.matches()) {
        value = env.containsKey(m.group(1)) ? env.get(m.group(1)) : m.group(2);
      } else {
        value = original;
      }
      options.put(option.longestName(), value);
    }
    return new TwinMeshArgs(String.join(" ", path), options, envRead);
  }

  String option(String name) {
    if (!options.containsKey(name)) {
      throw new IllegalArgumentException("twin-mesh " + command + " has no option " + name);
    }
    return options.get(name);
  }

  int intOption(String name) {
    return Integer.parseInt(option(name));
  }
}
