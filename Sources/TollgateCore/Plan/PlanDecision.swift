/// How a tactical phase runs, from `dispatch.mode` and what `todos.yaml` on `main` holds (DESIGN §10).
public enum PlanDecision: Sendable, Equatable {
    /// One agent run over the whole phase, as without a plan.
    case single
    /// One agent a todo, in parallel where the dependencies allow.
    case dispatch(TodoPlan)
    /// `dispatch.mode=auto` and `todos.yaml` is not a plan: recorded (`plan.skipped`), then one run.
    case skipped([PlanError])
    /// `dispatch.mode=tasks` and `todos.yaml` is not a plan (`plan.invalid`): nothing runs, and the boundary
    /// freezes for review at every level with the errors shown.
    case invalid([PlanError])

    /// Decides from the mode and the reading of `todos.yaml` (nil: there is no such file).
    ///
    /// No file, no `todos` key or an empty list is no plan: one run, whatever the mode. `auto` dispatches a plan of
    /// two todos or more; `tasks` any plan; `single` never reads the file.
    public static func decide(mode: DispatchMode, reading: PlanReading?) -> PlanDecision {
        switch (mode, reading) {
        case (.single, _), (_, nil), (_, .noPlan?):
            return .single
        case (.auto, .plan(let plan)?):
            return plan.todos.count >= 2 ? .dispatch(plan) : .single
        case (.tasks, .plan(let plan)?):
            return .dispatch(plan)
        case (.auto, .invalid(let errors)?):
            return .skipped(errors)
        case (.tasks, .invalid(let errors)?):
            return .invalid(errors)
        }
    }
}
