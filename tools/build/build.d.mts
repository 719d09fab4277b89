// Types of build.mjs (the production build of the services).

export type BuildOptions = {
  /** Output directory (default: dist/ at the repository's root). Must be new, empty or an earlier build. */
  out?: string;
  /** Apps to compile (default: every app with apps/<app>/src/main.ts); the libraries are always compiled. */
  apps?: readonly string[];
  /** Write `<file>.js.map` beside each file (default: true). */
  sourceMaps?: boolean;
  /** Receives one line of progress when done (default: silent). */
  log?: (line: string) => void;
};

export type BuildResult = {
  /** The output directory, absolute. */
  out: string;
  apps: string[];
  libs: string[];
  /** Number of files compiled. */
  compiled: number;
  /** Number of other files copied. */
  copied: number;
  sourceMaps: boolean;
  /** Duration of the build. */
  seconds: number;
};

/** An error of the build; its message names the file concerned. */
export declare class BuildError extends Error {}

/** The repository's root. */
export declare const ROOT: string;
/** dist/ at the repository's root. */
export declare const DEFAULT_OUT: string;

/** Compiles the apps and the libraries ahead of time into `out`. */
export declare function buildApps(options?: BuildOptions): Promise<BuildResult>;
/** `<out>/apps/<app>/src/main.js` */
export declare function builtEntry(app: string, out?: string): string;
/** Why the build in `out` cannot be used for `apps`, or null when it is current. */
export declare function buildStaleness(out?: string, apps?: readonly string[]): string | null;
/** Every app with apps/<app>/src/main.ts. */
export declare function discoverBuildableApps(): string[];
/** Every library under libs/ except test support. */
export declare function discoverBuildableLibs(): string[];
