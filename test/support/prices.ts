import type { GpuPricePoint } from '../../shared/domain/market/price-points.js';

/** A GPU price point (by default AWS p5.48xlarge on-demand in us-east-1, observed an hour ago), its key derived as the collectors derive it. */
export function gpuPricePoint(overrides: Partial<GpuPricePoint>): GpuPricePoint {
  const p: GpuPricePoint = {
    key: '',
    provider: 'aws',
    region: 'us-east-1',
    zone: null,
    instanceType: 'p5.48xlarge',
    sku: null,
    gpuModel: 'H100',
    gpuCount: 8,
    pricingCategory: 'on-demand',
    term: null,
    variant: null,
    pricePerHour: '55.04',
    pricePerGpuHour: '6.88',
    currency: 'USD',
    observedAt: new Date(Date.now() - 3_600_000).toISOString(),
    source: 'pricing:GetProducts',
    ...overrides,
  };
  p.key = [
    p.provider,
    p.region,
    p.zone ?? '-',
    p.instanceType ?? p.sku ?? '-',
    p.pricingCategory,
    p.term ?? '-',
    p.variant ?? '-',
    p.observedAt,
  ].join('#');
  return p;
}
