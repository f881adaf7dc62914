import {describe, expect, it} from "vitest";
import {InvalidConfigError} from "../../../src/core/index.ts";
import {formatFilters, type HandlerEventKey, handlesEvent, parseEventHandler} from "../../../src/hooks/handler-spec.ts";

describe("parseEventHandler", () => {
  const rows = [
    {title: "a bare command runs for every event", text: "./notify.sh", filters: "*", command: "./notify.sh"},
    {
      title: "one event before = is a filter",
      text: "member-failed=./f.sh",
      filters: "member-failed",
      command: "./f.sh",
    },
    {
      title: "a comma list of events is a filter",
      text: "member-failed,member-leave=echo down",
      filters: "member-failed,member-leave",
      command: "echo down",
    },
    {title: "* is a filter for everything", text: "*=echo any", filters: "*", command: "echo any"},
    {
      title: "an upper-case env prefix is part of the command",
      text: "FOO=1 ./x.sh",
      filters: "*",
      command: "FOO=1 ./x.sh",
    },
    {
      title: "only the first = separates the filter",
      text: "heartbeat-down=echo a=b",
      filters: "heartbeat-down",
      command: "echo a=b",
    },
    {title: "user alone is every user event", text: "user=./u.sh", filters: "user", command: "./u.sh"},
    {title: "user:NAME names one user event", text: "user:deploy=./d.sh", filters: "user:deploy", command: "./d.sh"},
    {
      title: "user: with no name is every user event, as in serf",
      text: "user:=./u.sh",
      filters: "user",
      command: "./u.sh",
    },
    {title: "query:NAME names one query", text: "query:uptime=uptime", filters: "query:uptime", command: "uptime"},
    {
      title: "names keep their case and punctuation (serf compares them exactly)",
      text: "user:Deploy.v2/web=./d.sh",
      filters: "user:Deploy.v2/web",
      command: "./d.sh",
    },
    {
      title: "a list may mix member events, user events and queries",
      text: "member-failed,user:deploy,query,query:uptime=./all.sh",
      filters: "member-failed,user:deploy,query,query:uptime",
      command: "./all.sh",
    },
  ] as const;
  for (const row of rows) {
    it(row.title, () => {
      const spec = parseEventHandler(row.text);
      expect(spec.command).toBe(row.command);
      expect(formatFilters(spec)).toBe(row.filters);
    });
  }

  const bad = [
    {title: "a misspelt member event", text: "member-fialed=./x"},
    {title: "a filter with no command", text: "member-failed="},
    {title: "* combined with another event", text: "*,member-join=x"},
    {title: "* combined with a user event", text: "user:deploy,*=x"},
    {title: "a misspelt event next to a user filter", text: "user:deploy,membr-join=x"},
    {title: "serf's member-reap, which Lifeline has not", text: "member-reap=x"},
    {title: "an empty value", text: ""},
    {title: "only spaces", text: "   "},
  ];
  for (const row of bad) {
    it(`rejects ${row.title}, naming the field and the rule`, () => {
      try {
        parseEventHandler(row.text);
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidConfigError);
        expect((error as InvalidConfigError).field).toBe("eventHandler");
        expect((error as InvalidConfigError).rule.length).toBeGreaterThan(0);
      }
    });
  }
});

describe("handlesEvent", () => {
  const deploy: HandlerEventKey = {event: "user", name: "deploy"};
  const restart: HandlerEventKey = {event: "user", name: "restart"};
  const uptime: HandlerEventKey = {event: "query", name: "uptime"};
  const failed: HandlerEventKey = {event: "member-failed"};
  const rows = [
    {title: "* runs for user events", filter: "*", key: deploy, runs: true},
    {title: "* runs for queries", filter: "*", key: uptime, runs: true},
    {title: "* runs for member events", filter: "*", key: failed, runs: true},
    {title: "user runs for any user event", filter: "user", key: restart, runs: true},
    {title: "user does not run for a query", filter: "user", key: uptime, runs: false},
    {title: "user:deploy runs for deploy", filter: "user:deploy", key: deploy, runs: true},
    {title: "user:deploy does not run for restart", filter: "user:deploy", key: restart, runs: false},
    {
      title: "user:deploy does not run for a query named deploy",
      filter: "user:deploy",
      key: {event: "query", name: "deploy"},
      runs: false,
    },
    {title: "user:Deploy does not run for deploy (case matters)", filter: "user:Deploy", key: deploy, runs: false},
    {title: "query runs for any query", filter: "query", key: uptime, runs: true},
    {title: "query:uptime runs for uptime", filter: "query:uptime", key: uptime, runs: true},
    {title: "query:load does not run for uptime", filter: "query:load", key: uptime, runs: false},
    {title: "member events do not run user handlers", filter: "user", key: failed, runs: false},
    {title: "a mixed list runs for its member event", filter: "user:deploy,member-failed", key: failed, runs: true},
    {title: "a mixed list runs for its user event", filter: "user:deploy,member-failed", key: deploy, runs: true},
    {title: "a mixed list does not run for others", filter: "user:deploy,member-failed", key: restart, runs: false},
  ] as const;
  for (const row of rows) {
    it(row.title, () => {
      expect(handlesEvent(parseEventHandler(`${row.filter}=true`), row.key)).toBe(row.runs);
    });
  }
});
