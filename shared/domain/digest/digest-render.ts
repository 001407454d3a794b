/**
 * What the notifier sends, rendered from data: the daily digest (email HTML with the chart inline, a short plain
 * text, Slack Block Kit) and single alerts (signal raised, budget breached, anomaly detected). Pure: the same model
 * gives the same output. Everything is ordered by what matters most: dollars first.
 */
export {
  anomaliesByImpact,
  budgetAtRisk,
  budgetsByRisk,
  digestChartContentId,
  signalsByImpact,
  unitEconomicsByCost,
  unitEconomicsScopeLabel,
} from './digest-order.js';
export type {
  AlertEvent,
  AnomalyDetectedDetail,
  BudgetBreachedDetail,
  EmailContent,
  InlineImage,
  SignalRaisedDetail,
} from './digest-order.js';
export { escapeHtml } from './html-blocks.js';
export { digestSubject, renderDigestText } from './digest-text.js';
export { renderDigestEmail, renderDigestHtml, type DigestHtmlOptions } from './digest-html.js';
export { renderDigestSlack } from './digest-slack.js';
export { alertSubject, renderAlertEmail, renderAlertSlack } from './alerts.js';
