// What `next build` checks in every route.ts (the guard Next's type plugin generates per route,
// next/src/build/webpack/plugins/next-types-plugin), reproduced so `tsc -p` catches a handler
// that Next would refuse, without installing Next. NextRequest is a subclass of Request, so
// `Request` stands for both. Checked: Next 13/14 (any params), 15 (Promise params) and 16
// (readonly Promise params), for the monitoring route and the cron routes.
import * as monitoring from '../app/api/symphony/[...path]/route';
import * as emailCron from '../app/api/cron/process-email-queue/route';
import * as campaignCron from '../app/api/cron/process-campaigns/route';
import * as smsCron from '../app/api/cron/process-sms-drip/route';

type SegmentParams = { path: string[] };
type Next14Context = { params: SegmentParams };
type Next15Context = { params: Promise<SegmentParams> };
type Next16Context = { readonly params: Promise<SegmentParams> };

type FirstArg<T extends Function> = T extends (...args: [infer A, any]) => any ? (unknown extends A ? any : A) : never;
type SecondArg<T extends Function> = T extends (...args: [any, infer A]) => any ? (unknown extends A ? any : A) : never;
type Returns = Response | void | never | Promise<Response | void | never>;

/** Compiles only when `H` is a handler Next accepts with context `C`. */
type Accepts<H extends Function, C> = [FirstArg<H>] extends [Request] ? ([SecondArg<H>] extends [C] ? (H extends (...a: any[]) => Returns ? true : false) : false) : false;

type Allowed = {
  GET?: Function;
  HEAD?: Function;
  OPTIONS?: Function;
  POST?: Function;
  PUT?: Function;
  DELETE?: Function;
  PATCH?: Function;
  runtime?: 'nodejs' | 'experimental-edge' | 'edge';
  dynamic?: 'auto' | 'force-dynamic' | 'error' | 'force-static';
};
/** No export Next does not know (Next's build refuses those). */
type OnlyAllowed<M> = Exclude<keyof M, keyof Allowed> extends never ? (M extends Allowed ? true : false) : false;

function check<_ extends true>(): void {}

check<OnlyAllowed<typeof monitoring>>();
check<Accepts<typeof monitoring.GET, Next14Context>>();
check<Accepts<typeof monitoring.GET, Next15Context>>();
check<Accepts<typeof monitoring.GET, Next16Context>>();
check<Accepts<typeof monitoring.POST, Next15Context>>();
check<Accepts<typeof monitoring.POST, Next16Context>>();
for (const m of [emailCron, campaignCron, smsCron]) void m;
check<OnlyAllowed<typeof emailCron>>();
check<OnlyAllowed<typeof campaignCron>>();
check<OnlyAllowed<typeof smsCron>>();
check<Accepts<typeof emailCron.GET, Next15Context>>();
check<Accepts<typeof campaignCron.GET, Next15Context>>();
check<Accepts<typeof smsCron.GET, Next15Context>>();
