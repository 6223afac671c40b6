/** The words a template adds around the campaign's own content, per language. */
export type EmailCopy = {
  greeting: (name: string) => string;
  kicker: Record<'announcement' | 'outage' | 'maintenance' | 'billing', string>;
  when: string;
  footer: (email: string, account: string) => string;
  unsubscribe: string;
};

const english: EmailCopy = {
  greeting: (name) => `Hi ${name},`,
  kicker: {
    announcement: 'Announcement',
    outage: 'Service disruption',
    maintenance: 'Scheduled maintenance',
    billing: 'Billing reminder',
  },
  when: 'When',
  footer: (email, account) =>
    `You receive this because ${email} is a contact for account ${account}.`,
  unsubscribe: 'Unsubscribe from these emails',
};

const COPY: Record<string, EmailCopy> = {
  en: english,
  de: {
    greeting: (name) => `Hallo ${name},`,
    kicker: {
      announcement: 'Mitteilung',
      outage: 'Störung',
      maintenance: 'Geplante Wartung',
      billing: 'Hinweis zur Abrechnung',
    },
    when: 'Wann',
    footer: (email, account) =>
      `Sie erhalten diese E-Mail, weil ${email} Kontakt für das Konto ${account} ist.`,
    unsubscribe: 'Diese E-Mails abbestellen',
  },
  fr: {
    greeting: (name) => `Bonjour ${name},`,
    kicker: {
      announcement: 'Annonce',
      outage: 'Incident en cours',
      maintenance: 'Maintenance planifiée',
      billing: 'Rappel de facturation',
    },
    when: 'Quand',
    footer: (email, account) =>
      `Vous recevez ce message car ${email} est un contact du compte ${account}.`,
    unsubscribe: 'Se désabonner de ces e-mails',
  },
  es: {
    greeting: (name) => `Hola ${name}:`,
    kicker: {
      announcement: 'Aviso',
      outage: 'Interrupción del servicio',
      maintenance: 'Mantenimiento programado',
      billing: 'Recordatorio de facturación',
    },
    when: 'Cuándo',
    footer: (email, account) =>
      `Recibe este mensaje porque ${email} es un contacto de la cuenta ${account}.`,
    unsubscribe: 'Darse de baja de estos correos',
  },
};

export function emailCopy(locale: string | null | undefined): EmailCopy {
  const language = (locale ?? 'en').toLowerCase().split('-')[0] ?? 'en';
  return COPY[language] ?? english;
}
