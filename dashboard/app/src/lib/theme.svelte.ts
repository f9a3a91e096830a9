// Light, dark, or the system's choice; remembered in localStorage (this browser only, no cookie).

export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'beaconry_theme';

export class Theme {
  choice = $state<ThemeChoice>(read());
  private media = matchMedia('(prefers-color-scheme: dark)');
  private systemDark = $state(this.media.matches);
  dark = $derived(this.choice === 'dark' || (this.choice === 'system' && this.systemDark));

  constructor() {
    this.media.addEventListener('change', (e) => {
      this.systemDark = e.matches;
      this.apply();
    });
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    // Now, not in an effect: charts re-read the CSS variables right after this change.
    this.apply();
    try {
      if (choice === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, choice);
    } catch {
      /* private mode */
    }
  }

  toggle(): void {
    this.set(this.dark ? 'light' : 'dark');
  }

  /** Applies to <html data-theme>: CSS variables follow. */
  apply(): void {
    document.documentElement.dataset.theme = this.dark ? 'dark' : 'light';
  }
}

function read(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

export const theme = new Theme();
