import pngjs from 'pngjs';
import { describe, expect, it } from 'vitest';
import {
  anomalyDetectedDetail,
  anomalyView,
  budgetBreachedDetail,
  budgetStatusView,
  digestModel,
  signalRaisedDetail,
  signalView,
  unitEconomicsRow,
} from '../../../test/support/digest.js';
import {
  alertSubject,
  digestChartContentId,
  digestSubject,
  renderAlertEmail,
  renderAlertSlack,
  renderDigestEmail,
  renderDigestHtml,
  renderDigestSlack,
  renderDigestText,
} from './digest-render.js';
import { blockKitLimits, type SlackBlock, type SlackMessage } from './slack-blocks.js';

/** The cells (tags stripped) of the HTML table row whose first cell reads `first`. */
function htmlRow(html: string, first: string): string[] {
  for (const row of html.match(/<tr[^>]*>.*?<\/tr>/gs) ?? []) {
    const cells = [...row.matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map((m) =>
      m[1]!
        .replace(/<br>/g, ' ')
        .replace(/<[^>]+>/g, '')
        .trim(),
    );
    if (cells[0] === first) return cells;
  }
  throw new Error(`no row starting with ${first}`);
}

function sections(message: SlackMessage): string[] {
  return message.blocks.flatMap((b) => (b.type === 'section' && b.text ? [b.text.text] : []));
}

function expectWithinBlockKitLimits(message: SlackMessage): void {
  expect(message.blocks.length).toBeLessThanOrEqual(blockKitLimits.blocks);
  for (const block of message.blocks as SlackBlock[]) {
    if (block.type === 'header') expect(block.text.text.length).toBeLessThanOrEqual(blockKitLimits.headerText);
    if (block.type === 'section') {
      expect(block.text || block.fields).toBeTruthy();
      if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(blockKitLimits.sectionText);
      expect(block.fields?.length ?? 0).toBeLessThanOrEqual(blockKitLimits.fields);
      for (const field of block.fields ?? []) expect(field.text.length).toBeLessThanOrEqual(blockKitLimits.fieldText);
    }
    if (block.type === 'context') expect(block.elements.length).toBeLessThanOrEqual(blockKitLimits.contextElements);
  }
}

describe('digest text', () => {
  it('says what matters in under 25 lines: total, providers, fleet unit costs, top signals, budgets at risk, anomalies, failures', () => {
    const text = renderDigestText(digestModel());
    expect(text.trimEnd().split('\n')).toEqual([
      'Compute Ledger digest for 2026-11-20 (compared with 2026-11-19)',
      'Total spend: $12,345.67, ▲ 12.3% vs $10,990.00',
      'By provider:',
      '  aws         $8,000.00  ▲ 5.0%    (was $7,619.05)',
      '  azure       $3,000.00  ▼ 2.0%    (was $3,061.22)',
      '  gcp         $1,345.67  ▲ 334.5%  (was $309.73)',
      'Fleet: $6.25 per effective GPU-hour, 40.0% effective utilization, idle cost $288.00, $4.00 per million tokens',
      'Top signals (4 open signals, $15,192.25/month at stake):',
      '  1. $9,120.50/month  Move pool gpu-a to gcp us-central1 spot (move, 60% confidence)',
      '  2. $4,321.00/month  Consolidate pool gpu-a: 62% of paid GPU-hours idle (consolidate, 80% confidence)',
      '  3. $1,500.00/month  Commit pool gpu-c for one year (commit, 90% confidence)',
      'Budgets at risk (2 of 3):',
      '  - Search team GPUs: 92.0% spent, forecast 118.0% of $10,000.00 by 2026-11-30',
      '  - AWS EC2: 85.0% spent, forecast 95.0% of $20,000.00 by 2026-11-30',
      'Anomalies (3):',
      '  - service Amazon EC2 daily cost on 2026-11-20: +$1,200.00 (▲ 85.0%) vs expected $1,411.76; top cause region us-east-1 +$1,000.00',
      '  - team search daily cost on 2026-11-20: -$300.00 (▼ 25.0%) vs expected $1,200.00; top cause service Amazon EC2 -$300.00',
      '  - workflow support-bot tokens per request on 2026-11-20: 1,850 vs expected 1,200 (▲ 54.2%)',
      'Failed scopes (1): pool gpu-b (timeout after 3 attempts)',
    ]);
  });

  it('stays short however much there is', () => {
    const many = digestModel({
      spendByProvider: Array.from({ length: 9 }, (_, i) => ({
        provider: `p${i}`,
        current: String(100 + i),
        previous: '100',
        changePercent: i,
      })),
      signals: Array.from({ length: 40 }, (_, i) => signalView({ signalId: `s${i}`, monthlyImpact: String(i) })),
      budgets: Array.from({ length: 12 }, (_, i) => budgetStatusView({ budgetId: `b${i}`, name: `b${i}` })),
      anomalies: Array.from({ length: 12 }, (_, i) => anomalyView({ anomalyId: `a${i}` })),
      failedScopes: Array.from({ length: 9 }, (_, i) => ({ scope: `pool p${i}`, error: 'boom' })),
    });
    const lines = renderDigestText(many).trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(25);
    expect(lines).toContain('  1. $39.00/month  Consolidate pool gpu-a: 62% of paid GPU-hours idle (consolidate, 80% confidence)');
    expect(lines).toContain('  and 9 more budgets at risk');
    expect(lines.at(-1)).toMatch(/^Failed scopes \(9\): pool p0 \(boom\); pool p1 \(boom\); pool p2 \(boom\) and 6 more$/);
  });

  it('leaves out the fleet measures it does not have', () => {
    const apiOnly = digestModel({
      unitEconomics: [
        unitEconomicsRow({
          paidGpuHours: 0,
          effectiveGpuHours: 0,
          effectiveUtilization: null,
          idleCost: '0',
          costPerEffectiveGpuHour: null,
        }),
      ],
    });
    expect(renderDigestText(apiOnly)).toContain('\nFleet: $4.00 per million tokens\n');
    const gpuOnly = digestModel({ unitEconomics: [unitEconomicsRow({ tokens: 0, costPerMillionTokens: null })] });
    expect(renderDigestText(gpuOnly)).toContain('\nFleet: $6.25 per effective GPU-hour, 40.0% effective utilization, idle cost $288.00\n');
  });

  it('lists budgets by runway, soonest to run out first, with the daily spend that keeps each within', () => {
    const later = budgetStatusView({
      budgetId: 'a',
      name: 'Later',
      forecastPercent: 130,
      runway: { exhaustedOn: '2026-11-28', daysLeft: 8, dailySpendToStayWithin: '40' },
    });
    const sooner = budgetStatusView({
      budgetId: 'b',
      name: 'Sooner',
      forecastPercent: 105,
      runway: { exhaustedOn: '2026-11-25', daysLeft: 5, dailySpendToStayWithin: '63.33' },
    });
    const text = renderDigestText(digestModel({ budgets: [later, sooner] }));
    const lines = text.split('\n').filter((l) => l.startsWith('  - '));
    expect(lines[0]).toBe(
      '  - Sooner: 92.0% spent, forecast 105.0% of $10,000.00 by 2026-11-30; runs out 2026-11-25 (in 5 days); $63.33 a day keeps it within',
    );
    expect(lines[1]).toContain('Later:');
    const html = renderDigestHtml(digestModel({ budgets: [later, sooner] }), { chartSrc: 'x.png' });
    expect(htmlRow(html, 'Sooner team search')[5]).toBe('runs out 2026-11-25 (in 5 days); $63.33 a day keeps it within');
    expect(html.indexOf('>Sooner<')).toBeLessThan(html.indexOf('>Later<'));
  });

  it('says why the fleet unit costs moved, in the line after the fleet', () => {
    const why = '$/1M tokens +18.0%: +9.0% price, +6.0% utilization, +3.0% efficiency';
    const text = renderDigestText(digestModel({ unitCostChanges: [why] }));
    expect(text).toContain(
      `\nFleet: $6.25 per effective GPU-hour, 40.0% effective utilization, idle cost $288.00, $4.00 per million tokens\n  ${why}\n`,
    );
    expect(renderDigestHtml(digestModel({ unitCostChanges: [why] }), { chartSrc: 'x.png' })).toContain(`Against the day before: ${why}.`);
    const slack = JSON.stringify(renderDigestSlack(digestModel({ unitCostChanges: [why] })));
    expect(slack).toContain(`Against the day before: ${why}`);
  });

  it('says how much of the idle cost sat on GPUs held idle with their memory in use', () => {
    // 48 of 192 paid GPU-hours idle-held: $480 × 48/192 = $120 of the $288 idle cost
    const held = digestModel({
      unitEconomics: [unitEconomicsRow({ tokens: 0, costPerMillionTokens: null, idleHeldGpuHours: 48, idleHeldCost: '120' })],
    });
    expect(renderDigestText(held)).toContain('idle cost $288.00 ($120.00 of it on GPUs held idle with memory in use)\n');
    expect(htmlRow(renderDigestHtml(held, { chartSrc: 'x.png' }), 'Fleet')).toContain('$120.00');
  });

  it('says when there is nothing to say', () => {
    const quiet = digestModel({
      signals: [],
      budgets: [],
      anomalies: [],
      failedScopes: [],
      totals: { current: '10', previous: '0', changePercent: null },
    });
    const text = renderDigestText(quiet);
    expect(text).toContain('Total spend: $10.00, new vs $0.00');
    expect(text).toContain('Signals: none open.');
    expect(text).toContain('Budgets: none set.');
    expect(text).toContain('Anomalies: none.');
    expect(text).not.toContain('Failed scopes');
  });
});

describe('digest subject', () => {
  it('leads with spend, the money at stake and the budgets at risk', () => {
    expect(digestSubject(digestModel())).toBe(
      'Compute Ledger digest 2026-11-20: $12,345.67 spend (▲ 12.3%), 4 signals worth $15,192.25/month, 2 budgets at risk',
    );
  });
});

describe('digest HTML', () => {
  const html = renderDigestHtml(digestModel(), { chartSrc: `cid:${digestChartContentId}` });

  it('shows the chart inline by Content-ID, or by the path it is given', () => {
    expect(html).toContain('<img src="cid:digest-chart@compute-ledger"');
    expect(renderDigestHtml(digestModel(), { chartSrc: '2026-11-20.png' })).toContain('<img src="2026-11-20.png"');
  });

  it('compares spend by provider with the previous period, largest first, up in red and down in green', () => {
    expect(htmlRow(html, 'aws')).toEqual(['aws', '$8,000.00', '$7,619.05', '▲ 5.0%']);
    expect(htmlRow(html, 'azure')).toEqual(['azure', '$3,000.00', '$3,061.22', '▼ 2.0%']);
    expect(html.indexOf('<strong>aws</strong>')).toBeLessThan(html.indexOf('<strong>azure</strong>'));
    expect(html.indexOf('<strong>azure</strong>')).toBeLessThan(html.indexOf('<strong>gcp</strong>'));
    expect(html).toContain('<span style="color:#b42318;font-weight:600;">▲ 5.0%</span>');
    expect(html).toContain('<span style="color:#067647;font-weight:600;">▼ 2.0%</span>');
  });

  it('has the unit-economics table with every measure, the fleet first and then by cost', () => {
    expect(htmlRow(html, 'Fleet')).toEqual([
      'Fleet',
      '$480.00',
      '192',
      '76.8',
      '40.0%',
      '$288.00',
      '$0.00',
      '$6.25',
      '$4.00',
      '$1.20',
      '0.8',
    ]);
    expect(htmlRow(html, 'model gpt-4.1-mini')).toEqual([
      'model gpt-4.1-mini',
      '$12.50',
      '0',
      '0',
      'n/a',
      '$0.00',
      '$0.00',
      'n/a',
      '$0.50',
      '$0.25',
      'n/a',
    ]);
    const order = ['Fleet', 'pool gpu-a', 'team search', 'model gpt-4.1-mini'].map((label) => html.indexOf(`>${label}<`));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('lists signals by monthly impact, budgets worst first with their state, anomalies by dollars, and failed scopes', () => {
    const titles = ['Move pool gpu-a', 'Consolidate pool gpu-a', 'Commit pool gpu-c', 'Renegotiate A100'].map((t) => html.indexOf(t));
    expect(titles).toEqual([...titles].sort((a, b) => a - b));
    expect(htmlRow(html, '1').slice(2)).toEqual(['$9,120.50', '60%']);
    expect(htmlRow(html, 'Search team GPUs team search')).toEqual([
      'Search team GPUs team search',
      '2026-11-01 to 2026-11-30',
      '$9,200.00 of $10,000.00',
      '92.0%',
      '118.0%',
      '—',
      'Forecast over',
    ]);
    expect(htmlRow(html, 'AWS EC2 provider aws · service Amazon EC2').at(-1)).toBe('Watch');
    expect(htmlRow(html, 'Platform API models team platform · model gpt-4.1-mini').at(-1)).toBe('On track');
    expect(htmlRow(html, 'service Amazon EC2 daily cost · score 6.2')).toEqual([
      'service Amazon EC2 daily cost · score 6.2',
      '2026-11-20',
      '$2,611.76',
      '$1,411.76',
      '+$1,200.00 (▲ 85.0%)',
      'region us-east-1 +$1,000.00 usageType p5.48xlarge +$200.00',
    ]);
    expect(htmlRow(html, 'pool gpu-b')).toEqual(['pool gpu-b', 'timeout after 3 attempts']);
  });

  it('escapes what the data says', () => {
    const hostile = renderDigestHtml(digestModel({ signals: [signalView({ title: '<script>alert(1)</script> & "co"' })] }), {
      chartSrc: 'x.png',
    });
    expect(hostile).not.toContain('<script>');
    expect(hostile).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;co&quot;');
  });
});

describe('digest email', () => {
  it('carries the HTML, the text and the chart PNG under the Content-ID the HTML references', () => {
    const model = digestModel();
    const email = renderDigestEmail(model);
    expect(email.subject).toBe(digestSubject(model));
    expect(email.text).toBe(renderDigestText(model));
    expect(email.html).toContain(`cid:${digestChartContentId}`);
    expect(email.inlineImages).toHaveLength(1);
    const [image] = email.inlineImages as [(typeof email.inlineImages)[number]];
    expect(image).toMatchObject({ contentId: digestChartContentId, contentType: 'image/png', filename: 'spend-2026-11-20.png' });
    const png = pngjs.PNG.sync.read(image.content);
    expect([png.width, png.height]).toEqual([720, 300]);
  });
});

describe('digest Slack', () => {
  it('has a header, the total, providers as fields, the unit-economics table, the top signal first, budgets, anomalies and failures', () => {
    const message = renderDigestSlack(digestModel());
    expect(message.text).toBe(digestSubject(digestModel()));
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Compute Ledger digest · 2026-11-20', emoji: true },
    });
    expect(message.blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '*Total spend $12,345.67*  ▲ 12.3% vs $10,990.00 (2026-11-19)' },
    });
    expect(message.blocks[2]).toEqual({
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: '*aws*\n$8,000.00  ▲ 5.0%' },
        { type: 'mrkdwn', text: '*azure*\n$3,000.00  ▼ 2.0%' },
        { type: 'mrkdwn', text: '*gcp*\n$1,345.67  ▲ 334.5%' },
      ],
    });
    const texts = sections(message);
    const table = texts.find((t) => t.startsWith('*Unit economics*'))!;
    expect(table.split('\n').slice(1, 5)).toEqual([
      '```',
      'scope                  cost   util  idle cost  $/eff GPU-h  $/M tok  $/1k req',
      'Fleet               $480.00  40.0%    $288.00        $6.25    $4.00     $1.20',
      'pool gpu-a          $400.00  40.0%    $240.00        $6.25    $4.00     $1.20',
    ]);
    const signals = texts.filter((t) => /^\*\d+\. /.test(t));
    expect(signals[0]).toBe(
      '*1. Move pool gpu-a to gcp us-central1 spot*  ·  *$9,120.50/month*  ·  60% confidence\nThe same H100 costs 31% less after interruption risk.',
    );
    expect(signals.map((t) => t.match(/\*\$([\d,.]+)\/month\*/)![1])).toEqual(['9,120.50', '4,321.00', '1,500.00', '250.75']);
    expect(texts).toContain(
      '*Budgets at risk* · 2 of 3\n• *Search team GPUs* (team search): 92.0% spent, forecast *118.0%* of $10,000.00 by 2026-11-30\n• *AWS EC2* (provider aws · service Amazon EC2): 85.0% spent, forecast *95.0%* of $20,000.00 by 2026-11-30',
    );
    expect(texts.find((t) => t.startsWith('*Anomalies*'))!.split('\n')[1]).toBe(
      '• *service Amazon EC2* daily cost on 2026-11-20: +$1,200.00 (▲ 85.0%) vs expected $1,411.76; region us-east-1 +$1,000.00, usageType p5.48xlarge +$200.00',
    );
    expect(texts).toContain(':warning: *Failed scopes* · 1\n• `pool gpu-b`: timeout after 3 attempts');
    expectWithinBlockKitLimits(message);
  });

  it('stays within Block Kit limits for a very large digest', () => {
    const long = 'x'.repeat(4000);
    const huge = digestModel({
      spendByProvider: Array.from({ length: 40 }, (_, i) => ({
        provider: `provider-${i}-${long}`,
        current: '1',
        previous: '1',
        changePercent: 0,
      })),
      unitEconomics: Array.from({ length: 300 }, (_, i) => unitEconomicsRow({ scopeKind: 'host', scope: `host-${i}-${long}` })),
      signals: Array.from({ length: 60 }, (_, i) => signalView({ signalId: `s${i}`, title: `t${i} ${long}`, summary: long })),
      budgets: Array.from({ length: 30 }, (_, i) => budgetStatusView({ budgetId: `b${i}`, name: `b${i} ${long}` })),
      anomalies: Array.from({ length: 30 }, (_, i) => anomalyView({ anomalyId: `a${i}`, key: long })),
      failedScopes: Array.from({ length: 100 }, (_, i) => ({ scope: `s${i}`, error: long })),
    });
    expectWithinBlockKitLimits(renderDigestSlack(huge));
  });

  it('escapes mrkdwn in what the data says', () => {
    const message = renderDigestSlack(digestModel({ signals: [signalView({ title: '<!channel> spend & more' })] }));
    expect(sections(message).find((t) => t.startsWith('*1. '))).toContain('*1. &lt;!channel&gt; spend &amp; more*');
  });
});

describe('single alerts', () => {
  it('signal.raised: the title and dollars in the header, the numbers as fields, the evidence', () => {
    const alert = { name: 'signal.raised', detail: signalRaisedDetail() } as const;
    const message = renderAlertSlack(alert);
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Signal: Consolidate pool gpu-a: 62% of paid GPU-hours idle ($4,321.00/month)', emoji: true },
    });
    const fields = message.blocks.flatMap((b) => (b.type === 'section' ? (b.fields ?? []).map((f) => f.text) : []));
    expect(fields).toEqual([
      '*Impact*\n$4,321.00/month',
      '*Confidence*\n80%',
      '*Type*\nconsolidate',
      '*Subject*\npool gpu-a (H100, aws us-east-1, on-demand)',
      '*Team*\nsearch',
      '*First raised*\n2026-11-18T06:00:00.000Z',
    ]);
    expect(sections(message)).toContain(
      '*Evidence*\n• paidGpuHours: 5760\n• effectiveGpuHours: 2188.8\n• idlePercent: 62\n• pricePerGpuHour: 2.50',
    );
    expectWithinBlockKitLimits(message);
    const email = renderAlertEmail(alert);
    expect(email.subject).toBe(alertSubject(alert));
    expect(email.text.split('\n').slice(0, 5)).toEqual([
      'Signal: Consolidate pool gpu-a: 62% of paid GPU-hours idle ($4,321.00/month)',
      '',
      'Pool gpu-a used 38% of its 5,760 paid GPU-hours; packing its work onto 3 of its 8 hosts saves about $4,321.00 a month.',
      '',
      'Impact: $4,321.00/month',
    ]);
    expect(email.html).toContain(
      '<h1 style="margin:4px 0 8px;font-size:20px;color:#101828;">Signal: Consolidate pool gpu-a: 62% of paid GPU-hours idle ($4,321.00/month)</h1>',
    );
    expect(email.inlineImages).toEqual([]);
  });

  it('budget.breached: forecast and actual thresholds say which was crossed, with the amounts', () => {
    const forecast = { name: 'budget.breached', detail: budgetBreachedDetail() } as const;
    expect(alertSubject(forecast)).toBe('Budget Search team GPUs: forecast 118.0% of $10,000.00 (forecast threshold 100% crossed)');
    expect(renderAlertEmail(forecast).text).toContain(
      'Search team GPUs is forecast to spend $11,800.00 by 2026-11-30, 118.0% of its $10,000.00 budget, crossing the 100% forecast threshold.',
    );
    const actual = { name: 'budget.breached', detail: budgetBreachedDetail({ kind: 'actual', thresholdPercent: 80 }) } as const;
    expect(alertSubject(actual)).toBe('Budget Search team GPUs: 92.0% spent of $10,000.00 (actual threshold 80% crossed)');
    const message = renderAlertSlack(actual);
    expect(sections(message)[0]).toBe(
      'Search team GPUs has spent $9,200.00, 92.0% of its $10,000.00 budget for 2026-11-01 to 2026-11-30, crossing the 80% threshold.',
    );
    expectWithinBlockKitLimits(message);
  });

  it('anomaly.detected: the dollars above expected and the root cause by dimension', () => {
    const spend = { name: 'anomaly.detected', detail: anomalyDetectedDetail() } as const;
    expect(alertSubject(spend)).toBe('Anomaly: service Amazon EC2 daily cost on 2026-11-20: +$1,200.00 (▲ 85.0%) vs expected $1,411.76');
    expect(renderAlertEmail(spend).text).toContain('Root cause:\n  - region us-east-1 +$1,000.00\n  - usageType p5.48xlarge +$200.00\n');
    const drift = {
      name: 'anomaly.detected',
      detail: anomalyDetectedDetail({
        kind: 'drift',
        dimension: 'workflow',
        key: 'support-bot',
        metric: 'tokens per request',
        actual: 1850,
        expected: 1200,
        delta: '0',
        deltaPercent: 54.2,
        contributions: [],
      }),
    } as const;
    expect(alertSubject(drift)).toBe('Anomaly: workflow support-bot tokens per request on 2026-11-20: 1,850 vs expected 1,200 (▲ 54.2%)');
    expectWithinBlockKitLimits(renderAlertSlack(drift));
  });
});
