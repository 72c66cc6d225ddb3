//! Context binding: `bind` semantics on sync scopes and across `.await` on a
//! multi-thread runtime.

use memotrace::log::{self, FutureExt as _, Logger};
use memotrace_tests::capture::Capture;
use serde_json::Value;

#[test]
fn logger_bind_returns_a_new_logger() {
    let cap = Capture::json();
    let base = Logger::new()
        .bind("user_id", 123)
        .bind("session_id", "abc-def");
    let request = base.bind("request_id", "req-789");
    cap.run(|| {
        base.info("page_view");
        request.info("request_started");
    });
    let page = cap.one("page_view");
    assert_eq!(page["user_id"], 123);
    assert_eq!(page["session_id"], "abc-def");
    assert!(
        page.get("request_id").is_none(),
        "bind must not change the original logger"
    );
    let started = cap.one("request_started");
    assert_eq!(started["request_id"], "req-789");
    assert_eq!(started["user_id"], 123);
}

#[test]
fn nested_binds_add_override_and_unwind() {
    let cap = Capture::json();
    cap.run(|| {
        let _outer = log::bind("user_id", 1);
        {
            let _a = log::bind("request_id", "r1");
            let _b = log::bind("user_id", 2);
            tracing::info!("inner");
        }
        tracing::info!("outer");
        let caught = std::panic::catch_unwind(|| {
            let _g = log::bind("doomed", true);
            panic!("unwind through a guard");
        });
        assert!(caught.is_err());
        tracing::info!("after_panic");
    });
    cap.run(|| tracing::info!("unbound"));
    let inner = cap.one("inner");
    assert_eq!(inner["user_id"], 2);
    assert_eq!(inner["request_id"], "r1");
    let outer = cap.one("outer");
    assert_eq!(outer["user_id"], 1);
    assert!(outer.get("request_id").is_none());
    let after = cap.one("after_panic");
    assert_eq!(after["user_id"], 1);
    assert!(after.get("doomed").is_none());
    assert!(cap.one("unbound").get("user_id").is_none());
}

#[test]
fn event_fields_win_over_bound_and_span_fields() {
    let cap = Capture::json();
    cap.run(|| {
        let _g = log::bind("k", "bound");
        let _g2 = log::bind("only_bound", 1);
        let span = tracing::info_span!("outer", k = "outer_span", s = 1);
        let _e = span.enter();
        let inner = tracing::info_span!("inner", k = "inner_span", late = tracing::field::Empty);
        let _i = inner.enter();
        tracing::info!("span_wins");
        inner.record("late", "recorded");
        tracing::info!("after_record");
        tracing::info!(k = "event", "event_wins");
    });
    let a = cap.one("span_wins");
    assert_eq!(a["k"], "inner_span");
    assert_eq!(a["s"], 1);
    assert_eq!(a["only_bound"], 1);
    assert_eq!(cap.one("event_wins")["k"], "event");
    assert!(a.get("late").is_none());
    assert_eq!(cap.one("after_record")["late"], "recorded");
}

async fn hop(n: u32) {
    for _ in 0..n {
        tokio::task::yield_now().await;
    }
}

#[test]
fn binds_follow_futures_across_await_on_a_multi_thread_runtime() {
    let cap = Capture::json();
    let rt = cap.runtime();
    cap.block_on(&rt, async {
        let mut tasks = Vec::new();
        for i in 0..8u32 {
            let logger = Logger::new().bind("task", i).bind("shared", "base");
            tasks.push(tokio::spawn(logger.scope(async move {
                hop(3).await;
                tracing::info!("step_one");
                Logger::current()
                    .bind("shared", "override")
                    .bind("nested", i * 10)
                    .scope(async move {
                        hop(2).await;
                        tracing::info!("step_two");
                    })
                    .await;
                hop(2).await;
                tracing::info!("step_three");
            })));
        }
        for t in tasks {
            t.await.unwrap();
        }
        tracing::info!("outside");
    });
    let by_task = |event: &str| {
        let mut v: Vec<Value> = cap.events(event);
        v.sort_by_key(|l| l["task"].as_u64());
        v
    };
    let one = by_task("step_one");
    let two = by_task("step_two");
    let three = by_task("step_three");
    assert_eq!(one.len(), 8);
    assert_eq!(two.len(), 8);
    assert_eq!(three.len(), 8);
    for i in 0..8u64 {
        let idx = usize::try_from(i).unwrap();
        assert_eq!(one[idx]["task"], i);
        assert_eq!(one[idx]["shared"], "base");
        assert!(one[idx].get("nested").is_none());
        assert_eq!(two[idx]["task"], i);
        assert_eq!(two[idx]["shared"], "override");
        assert_eq!(two[idx]["nested"], i * 10);
        assert_eq!(three[idx]["shared"], "base");
        assert!(three[idx].get("nested").is_none());
    }
    let outside = cap.one("outside");
    assert!(outside.get("task").is_none());
}

#[test]
fn with_current_context_carries_binds_into_spawned_tasks() {
    let cap = Capture::json();
    let rt = cap.runtime();
    cap.block_on(&rt, async {
        let task = {
            let _g = log::bind("request_id", "r-42");
            tokio::spawn(
                async {
                    hop(2).await;
                    tracing::info!("in_task");
                }
                .with_current_context(),
            )
        };
        task.await.unwrap();
    });
    assert_eq!(cap.one("in_task")["request_id"], "r-42");
}
