import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"

/**
 * Timers of the pipeline: a task run after `millis` unless cancelled first. Every timeout of the SDK (per attempt,
 * idle, total stream deadline) is one of these, so that it costs a timer rather than a fiber: racing an effect
 * against `Effect.sleep` (what `Effect.timeout` does) costs about 50 µs of CPU here, a scheduled callback about
 * 1 µs, and the SDK arms one per request and per stream.
 *
 * @internal
 */
export interface Timer {
  /** Runs `task` after `millis`; the returned function cancels it. */
  readonly schedule: (millis: number, task: () => void) => () => void
}

type SchedulingClock = Clock.Clock & {
  readonly scheduler: () => Effect.Effect<Clock.ClockScheduler>
}

const hasScheduler = (clock: Clock.Clock): clock is SchedulingClock =>
  typeof (clock as Partial<SchedulingClock>).scheduler === "function"

/** A clock that schedules callbacks (Effect's default one does): its own scheduler. */
const schedulerTimer = (scheduler: Clock.ClockScheduler): Timer => ({
  schedule: (millis, task) => {
    const cancel = scheduler.unsafeSchedule(task, Duration.millis(millis))
    return () => void cancel()
  }
})

/** Any other clock (a `TestClock`): a fiber sleeping on it, so that the clock decides when the task runs. */
const sleepingTimer = (clock: Clock.Clock): Timer => ({
  schedule: (millis, task) => {
    const fiber = Effect.runFork(Effect.zipRight(clock.sleep(Duration.millis(millis)), Effect.sync(task)))
    return () => fiber.unsafeInterruptAsFork(FiberId.none)
  }
})

const timers = new WeakMap<Clock.Clock, Timer>()

/**
 * The timer that follows `clock`.
 *
 * @internal
 */
export const timerOf = (clock: Clock.Clock): Timer => {
  let timer = timers.get(clock)
  if (timer === undefined) {
    timer = hasScheduler(clock) ? schedulerTimer(Effect.runSync(clock.scheduler())) : sleepingTimer(clock)
    timers.set(clock, timer)
  }
  return timer
}
