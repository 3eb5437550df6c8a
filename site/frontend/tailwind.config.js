/** Tailwind v3 config for SoulSeer. Paths are relative to this file (site/frontend/). */
const defaultTheme = require("tailwindcss/defaultTheme");

const apps = "{home,accounts,readers,readings,wallet,shop,community,search,soulseer}";

module.exports = {
  content: [
    "../../templates/**/*.{html,txt}",
    `../../${apps}/templates/**/*.html`,
    // Python files can carry CSS classes too (form widgets, messages tags, template tags).
    `../../${apps}/**/*.py`,
    "../../static/js/**/*.js",
    `!../../${apps}/migrations/**`,
  ],
  theme: {
    extend: {
      colors: {
        // Deep indigo "night" for header, hero and footer.
        night: {
          50: "#eef0ff",
          100: "#dfe1fb",
          200: "#c0c1ef",
          300: "#9c9adf",
          400: "#7b75c9",
          500: "#5f57ad",
          600: "#4a4291",
          700: "#3a3377",
          800: "#2a255e",
          900: "#1e1b4b",
          950: "#13112f",
        },
        // Violet accent for primary actions (600 on white is AA for text).
        accent: {
          50: "#f5f3ff",
          100: "#ede9fe",
          200: "#ddd6fe",
          300: "#c4b5fd",
          400: "#a78bfa",
          500: "#8b5cf6",
          600: "#7c3aed",
          700: "#6d28d9",
          800: "#5b21b6",
          900: "#4c1d95",
        },
        // Soft gold for ratings and highlights. Text on light backgrounds uses 700+.
        gold: {
          50: "#fdf9ec",
          100: "#f9efcc",
          200: "#f3de98",
          300: "#ebc862",
          400: "#e2b33d",
          500: "#cf9a24",
          600: "#b27a1b",
          700: "#8e5b18",
          800: "#76491a",
          900: "#643d1a",
        },
        // Warm off-white page background.
        cream: {
          50: "#fdfbf7",
          100: "#faf6ef",
          200: "#f3ebdd",
          300: "#e8dbc4",
        },
      },
      fontFamily: {
        serif: ["Fraunces", "Iowan Old Style", "Palatino Linotype", "Georgia", ...defaultTheme.fontFamily.serif],
        sans: defaultTheme.fontFamily.sans,
      },
      boxShadow: {
        soft: "0 1px 2px rgb(30 27 75 / 0.06), 0 4px 16px rgb(30 27 75 / 0.06)",
        lift: "0 2px 4px rgb(30 27 75 / 0.08), 0 12px 32px rgb(30 27 75 / 0.10)",
      },
      maxWidth: {
        prose: "68ch",
      },
      typography: ({ theme }) => ({
        DEFAULT: {
          css: {
            "--tw-prose-body": theme("colors.slate.700"),
            "--tw-prose-headings": theme("colors.night.900"),
            "--tw-prose-links": theme("colors.accent.700"),
            "--tw-prose-bold": theme("colors.slate.900"),
            "--tw-prose-bullets": theme("colors.accent.400"),
            "--tw-prose-counters": theme("colors.accent.700"),
            "--tw-prose-quotes": theme("colors.night.800"),
            "--tw-prose-quote-borders": theme("colors.gold.300"),
            "--tw-prose-hr": theme("colors.cream.300"),
            "h1, h2, h3, h4": { fontFamily: theme("fontFamily.serif").join(", "), fontWeight: "600" },
            a: { textUnderlineOffset: "3px" },
          },
        },
      }),
    },
  },
  plugins: [require("@tailwindcss/forms"), require("@tailwindcss/typography")],
};
