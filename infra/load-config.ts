// (infra) the monitoring config for `cdk synth`: found, read and validated before any construct exists,
// so an invalid config synthesizes nothing and the message names the bad field.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../shared/errors';
import { type MonitorConfig, parseMonitorConfigJson } from '../shared/monitor-config';

/** The repository root (this file lives in `<root>/infra/`). */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** Env var naming the config file; wins over the `config` context value. */
export const MONITOR_CONFIG_ENV = 'MONITOR_CONFIG';
/** CDK context key naming the config file (`cdk synth -c config=path/to.json`). */
export const MONITOR_CONFIG_CONTEXT = 'config';
/** The operator's config, when present in the project root. */
export const DEFAULT_CONFIG_FILE = 'monitor.config.json';
/** The shipped example, used when the operator has not written a config yet. */
export const EXAMPLE_CONFIG_FILE = path.join('config', 'monitor.example.json');

/** Where to look for the config file. */
export interface LoadConfigOptions {
  /**
   * The `config` context value, if any.
   * @default - none
   */
  readonly contextPath?: unknown;
  /**
   * Environment to read MONITOR_CONFIG from.
   * @default process.env
   */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Directory that relative MONITOR_CONFIG / context paths are resolved against.
   * @default process.cwd()
   */
  readonly cwd?: string;
  /**
   * Directory holding the default and example configs.
   * @default PROJECT_ROOT
   */
  readonly projectRoot?: string;
}

/** A validated config and the file it came from. */
export interface LoadedConfig {
  readonly config: MonitorConfig;
  readonly file: string;
}

/**
 * Pick the config file: MONITOR_CONFIG, else the `config` context value, else `monitor.config.json` in
 * the project root if it exists, else the shipped example.
 * @throws ConfigError when the context value is not a non-empty string
 */
export function resolveConfigPath(options: LoadConfigOptions = {}): string {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const root = options.projectRoot ?? PROJECT_ROOT;
  const fromEnv = env[MONITOR_CONFIG_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '') return path.resolve(cwd, fromEnv);
  const fromContext = options.contextPath;
  if (fromContext !== undefined) {
    if (typeof fromContext !== 'string' || fromContext.trim() === '') {
      throw new ConfigError(`Context value '${MONITOR_CONFIG_CONTEXT}' must be a file path`);
    }
    return path.resolve(cwd, fromContext);
  }
  const operatorConfig = path.join(root, DEFAULT_CONFIG_FILE);
  return existsSync(operatorConfig) ? operatorConfig : path.join(root, EXAMPLE_CONFIG_FILE);
}

/**
 * Read and validate the monitoring config for synth.
 * @throws ConfigError when the file cannot be read, is not JSON, or fails the schema (the message names
 * each bad field)
 */
export function loadMonitorConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const file = resolveConfigPath(options);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(`Cannot read monitoring config ${file}`, [], { cause });
  }
  const relative = path.relative(process.cwd(), file);
  const shown = relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
  return { config: parseMonitorConfigJson(text, shown), file };
}

/**
 * {@link loadMonitorConfig} for the CDK app entry point: on a ConfigError print its message (which names
 * the bad field) and exit 1, so `cdk synth` synthesizes nothing. Other errors propagate.
 */
export function loadMonitorConfigOrExit(options: LoadConfigOptions = {}): LoadedConfig {
  try {
    return loadMonitorConfig(options);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
