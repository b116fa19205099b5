/// `docs/openapi.yaml`, embedded so the binary serves it at `/openapi.yaml` without files beside it.
/// A test checks it is byte-for-byte the file in docs/ (regenerate with
/// `scripts/embed-openapi`), and that every route is in it.
enum OpenAPIDocument {
    static let yaml = #"""
        openapi: 3.1.0
        info:
          title: Haven API
          version: 0.1.0
          description: >-
            Haven's HTTP JSON API for counselors' front ends. Every call after sign-in sends
            `Authorization: Bearer <token>`. Failures are RFC 9457 problem documents
            (`application/problem+json`) with a stable `type`, the field at fault and the request id;
            they never contain clinical data. A record outside the caller's caseload is 404, never 403.
            When the practice requires a one-time-code app and the caller has none, every route but
            /v1/me/totp* and sign-out answers 403 with type `.../totp-enrollment-required`.
            Every response carries `X-Request-ID` (the caller's, when it is 1-64 ASCII letters, digits,
            `-`, `.` or `_`, else a new one), and every /v1 response `Cache-Control: no-store`. Every
            problem has a `title` (its status's reason phrase). While the database cannot be reached, any
            route answers 503 (type `.../unavailable`) with `Retry-After` in seconds; a malformed request
            body (broken chunked encoding) is 400 (type `.../malformed-body`).
            A request sent with `Haven-Break-Glass: on` acts under the caller's break-glass grants (see
            /v1/break-glass-grants): reads also reach the granted charts (psychotherapy notes included) and
            every audit entry is flagged; a write under it is 403. `off` or no header: not; any other
            value is 400 (type `.../bad-header`).
        servers:
          - url: http://127.0.0.1:8080
        security:
          - bearer: []
        paths:
          /health:
            get:
              summary: The process is up.
              security: []
              responses:
                "200": {description: Up., content: {application/json: {schema: {$ref: "#/components/schemas/Health"}}}}
          /ready:
            get:
              summary: The database answers, migrations are current and the master key is loaded.
              security: []
              responses:
                "200": {description: Ready., content: {application/json: {schema: {$ref: "#/components/schemas/Health"}}}}
                "503": {description: Not ready; `problems` says what., content: {application/json: {schema: {$ref: "#/components/schemas/Health"}}}}
          /openapi.yaml:
            get:
              summary: This document.
              security: []
              responses:
                "200": {description: The OpenAPI document., content: {application/yaml: {schema: {}}}}
          /v1/sessions:
            post:
              summary: Sign in with email and password; returns a bearer token.
              security: []
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [email, password]
                      properties:
                        email: {type: string, maxLength: 320}
                        password: {type: string, maxLength: 1024}
                        totpCode:
                          type: string
                          maxLength: 20
                          description: >-
                            The authenticator app's current code, for accounts that enrolled one. Without it
                            such an account gets 401 with type `.../totp-required`; a wrong or reused code is
                            `.../totp-invalid` and counts as a failed sign-in.
              responses:
                "201":
                  description: Signed in. The token ends after the idle timeout or the absolute lifetime.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [token, tokenType, expiresAt, staffId, practiceId, roles, totpEnrollmentRequired]
                        properties:
                          token: {type: string}
                          tokenType: {const: Bearer}
                          expiresAt: {type: string, format: date-time}
                          staffId: {type: string, format: uuid}
                          practiceId: {type: string, format: uuid}
                          roles: {type: array, items: {type: string, enum: [admin, counselor, supervisor]}}
                          totpEnrollmentRequired:
                            type: boolean
                            description: >-
                              The practice requires a one-time-code app this account lacks. Until one is enrolled
                              and confirmed under /v1/me/totp, every other request is 403 with type
                              `.../totp-enrollment-required`.
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "429":
                  description: Too many failed sign-ins for this account or address; Retry-After says when to try again.
                  headers:
                    Retry-After: {schema: {type: integer}}
                  content:
                    application/problem+json:
                      schema: {$ref: "#/components/schemas/Problem"}
          /v1/sessions/current:
            delete:
              summary: Sign out (the token stops working).
              responses:
                "204": {description: Signed out.}
                "401": {$ref: "#/components/responses/Problem"}
          /v1/me:
            get:
              summary: Who the token acts as.
              responses:
                "200":
                  description: The signed-in staff member.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [staffId, practiceId, roles, name, email, practice, timeZone]
                        properties:
                          staffId: {type: string, format: uuid}
                          practiceId: {type: string, format: uuid}
                          roles: {type: array, items: {type: string}}
                          name: {type: string}
                          email: {type: string}
                          practice: {type: string}
                          timeZone: {type: string}
                "401": {$ref: "#/components/responses/Problem"}
          /v1/me/totp:
            get:
              summary: Whether the caller has a one-time-code app, and whether the practice requires one.
              responses:
                "200": {description: The status., content: {application/json: {schema: {$ref: "#/components/schemas/TOTPStatus"}}}}
                "401": {$ref: "#/components/responses/Problem"}
            post:
              summary: Start enrolling a one-time-code app (TOTP, RFC 6238); the secret is shown once.
              description: >-
                Replaces an unconfirmed enrolment. Sign-in asks for the app's codes only once a code has been
                posted to /v1/me/totp/confirmation. Works in a session that still owes the practice a second factor.
              responses:
                "201":
                  description: The secret, in base32 and as an otpauth URI (for a QR code).
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [secret, uri]
                        properties:
                          secret: {type: string}
                          uri: {type: string}
                "401": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
          /v1/me/totp/confirmation:
            post:
              summary: Confirm the app being enrolled with a code it shows.
              requestBody: {$ref: "#/components/requestBodies/TOTPCode"}
              responses:
                "200": {description: Enrolled., content: {application/json: {schema: {$ref: "#/components/schemas/TOTPStatus"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
                "429": {$ref: "#/components/responses/Paused"}
          /v1/me/totp/removal:
            post:
              summary: Remove the caller's app, proven with a current code (refused when the practice requires one).
              requestBody: {$ref: "#/components/requestBodies/TOTPCode"}
              responses:
                "200": {description: Removed., content: {application/json: {schema: {$ref: "#/components/schemas/TOTPStatus"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "403": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
                "429": {$ref: "#/components/responses/Paused"}
          /v1/couples:
            get:
              summary: The caller's caseload (and supervisees'), with EFT stage and step and sessions.
              parameters:
                - {$ref: "#/components/parameters/Limit"}
                - {$ref: "#/components/parameters/Cursor"}
              responses:
                "200":
                  description: One page of couples.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [items]
                        properties:
                          nextCursor: {type: string}
                          items:
                            type: array
                            items:
                              type: object
                              required: [id, partnerA, partnerB, status, counselorId, startDate, highRisk]
                              properties:
                                id: {type: string, format: uuid}
                                partnerA: {type: string}
                                partnerB: {type: string}
                                status: {type: string}
                                counselorId: {type: string, format: uuid}
                                startDate: {type: string, format: date}
                                stage: {type: integer, minimum: 1, maximum: 3}
                                step: {type: integer, minimum: 1, maximum: 9}
                                highRisk: {type: boolean}
                                lastSession: {type: string, format: date-time}
                                nextSession: {type: string, format: date-time}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
            post:
              summary: Open a couple's chart for two of the caller's clients.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [partnerAId, partnerBId, startDate]
                      properties:
                        partnerAId: {type: string, format: uuid}
                        partnerBId: {type: string, format: uuid}
                        startDate: {type: string, format: date}
                        presentingConcerns: {type: string, maxLength: 65536, description: Sealed at rest.}
              responses:
                "201": {description: Opened., content: {application/json: {schema: {$ref: "#/components/schemas/Created"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "403": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/couples/{coupleId}:
            parameters:
              - {$ref: "#/components/parameters/CoupleId"}
            get:
              summary: A couple chart with the presenting concerns (audited).
              responses:
                "200":
                  description: The couple.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [id, partnerA, partnerB, counselorId, startDate, status]
                        properties:
                          id: {type: string, format: uuid}
                          partnerA: {$ref: "#/components/schemas/Person"}
                          partnerB: {$ref: "#/components/schemas/Person"}
                          counselorId: {type: string, format: uuid}
                          startDate: {type: string, format: date}
                          status: {type: string}
                          presentingConcerns: {type: string}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
          /v1/couples/{coupleId}/notes:
            parameters:
              - {$ref: "#/components/parameters/CoupleId"}
            get:
              summary: The couple's progress notes (no text), by session date.
              parameters:
                - {$ref: "#/components/parameters/Limit"}
                - {$ref: "#/components/parameters/Cursor"}
              responses:
                "200":
                  description: The notes.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [items]
                        properties:
                          nextCursor: {type: string}
                          items:
                            type: array
                            items: {$ref: "#/components/schemas/NoteLine"}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
          /v1/couples/{coupleId}/report:
            parameters:
              - {$ref: "#/components/parameters/CoupleId"}
              - {$ref: "#/components/parameters/Audience"}
              - {$ref: "#/components/parameters/From"}
              - {$ref: "#/components/parameters/To"}
            get:
              summary: The couple's progress report; the format follows Accept (JSON, HTML or Markdown). Audited.
              responses:
                "200": {$ref: "#/components/responses/Report"}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/clients/{clientId}/report:
            parameters:
              - {$ref: "#/components/parameters/ClientId"}
              - {$ref: "#/components/parameters/Audience"}
              - {$ref: "#/components/parameters/From"}
              - {$ref: "#/components/parameters/To"}
            get:
              summary: A client's progress report over a period (individual sessions and measures); format by Accept (audited).
              responses:
                "200": {$ref: "#/components/responses/Report"}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/notes:
            post:
              summary: Write a draft note on a completed session.
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: "#/components/schemas/Draft"}
              responses:
                "201":
                  description: Written; the ETag is the version.
                  headers:
                    ETag: {schema: {type: string}}
                    Location: {schema: {type: string}}
                  content:
                    application/json: {schema: {$ref: "#/components/schemas/Written"}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/notes/{noteId}:
            parameters:
              - {$ref: "#/components/parameters/NoteId"}
            get:
              summary: A note with its text (audited); the ETag is its version.
              responses:
                "200":
                  description: The note.
                  headers:
                    ETag: {schema: {type: string}}
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [id, sessionId, authorId, state, version, stage, step, interventions, tangoMoves, changeEvents, riskLevel, body]
                        properties:
                          id: {type: string, format: uuid}
                          sessionId: {type: string, format: uuid}
                          authorId: {type: string, format: uuid}
                          state: {type: string, enum: [draft, signed]}
                          version: {type: integer}
                          stage: {type: integer}
                          step: {type: integer}
                          stepPartnerId: {type: string, format: uuid}
                          interventions: {type: array, items: {type: string}}
                          tangoMoves: {type: array, items: {type: string}}
                          changeEvents: {type: array, items: {type: string}}
                          riskLevel: {type: string}
                          riskDetail: {type: string}
                          body: {type: string}
                          contentHash: {type: string}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
            put:
              summary: Edit a draft; If-Match carries the version it was based on (a stale one is 409).
              parameters:
                - {name: If-Match, in: header, required: true, schema: {type: string}}
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: "#/components/schemas/Draft"}
              responses:
                "200":
                  description: Edited; the ETag is the new version.
                  headers:
                    ETag: {schema: {type: string}}
                  content:
                    application/json: {schema: {$ref: "#/components/schemas/Written"}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "403": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
                "428": {$ref: "#/components/responses/Problem"}
          /v1/notes/{noteId}/sign:
            parameters:
              - {$ref: "#/components/parameters/NoteId"}
            post:
              summary: Sign a draft (final; records its SHA-256 content hash). If-Match names the version reviewed.
              parameters:
                - {name: If-Match, in: header, required: true, schema: {type: string}}
              responses:
                "200":
                  description: Signed.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [id, contentHash]
                        properties:
                          id: {type: string, format: uuid}
                          contentHash: {type: string}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "403": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "428": {$ref: "#/components/responses/Problem"}
          /v1/couples/{coupleId}/sessions:
            parameters:
              - {$ref: "#/components/parameters/CoupleId"}
            get:
              summary: The couple's therapy sessions, by start time.
              parameters:
                - {$ref: "#/components/parameters/Limit"}
                - {$ref: "#/components/parameters/Cursor"}
              responses:
                "200":
                  description: The sessions.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [items]
                        properties:
                          nextCursor: {type: string}
                          items:
                            type: array
                            items: {$ref: "#/components/schemas/SessionLine"}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
          /v1/therapy-sessions:
            get:
              summary: The schedule across every chart in reach (the day's view), by start time, audited as a schedule read.
              parameters:
                - {name: from, in: query, description: "First instant, with an offset (e.g. 2026-11-24T00:00:00-06:00).", schema: {type: string, format: date-time}}
                - {name: to, in: query, description: Instant the period ends before (exclusive)., schema: {type: string, format: date-time}}
                - {$ref: "#/components/parameters/Limit"}
                - {$ref: "#/components/parameters/Cursor"}
              responses:
                "200":
                  description: The sessions.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [items]
                        properties:
                          nextCursor: {type: string}
                          items: {type: array, items: {$ref: "#/components/schemas/SessionLine"}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
            post:
              summary: Schedule a session (the caller is its counselor). A conjoint session for a high-risk couple needs riskOverrideReason.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [start, durationMinutes, format]
                      properties:
                        coupleId: {type: string, format: uuid}
                        clientId: {type: string, format: uuid}
                        start: {type: string, format: date-time}
                        durationMinutes: {type: integer, minimum: 5, maximum: 480}
                        format: {type: string, enum: [in_person, video, phone]}
                        riskOverrideReason: {type: string}
              responses:
                "201": {description: Scheduled., content: {application/json: {schema: {$ref: "#/components/schemas/Created"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/therapy-sessions/{sessionId}/status:
            parameters:
              - {name: sessionId, in: path, required: true, schema: {type: string, format: uuid}}
            post:
              summary: Record how a scheduled session went.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [status]
                      properties:
                        status: {type: string, enum: [completed, cancelled, late_cancelled, no_show]}
              responses:
                "204": {description: Recorded.}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/homework/prompts:
            get:
              summary: The homework library, built-in and the practice's.
              parameters:
                - {$ref: "#/components/parameters/Limit"}
                - {$ref: "#/components/parameters/Cursor"}
              responses:
                "200":
                  description: The prompts.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [items]
                        properties:
                          nextCursor: {type: string}
                          items:
                            type: array
                            items:
                              type: object
                              required: [id, title, category, instructions, frequency, stages, joint, builtIn]
                              properties:
                                id: {type: string, format: uuid}
                                title: {type: string}
                                category: {type: string}
                                instructions: {type: string}
                                frequency: {type: string, enum: [once, daily, weekly]}
                                stages: {type: array, items: {type: integer}}
                                joint: {type: boolean}
                                builtIn: {type: boolean}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
            post:
              summary: Add one of the practice's own homework prompts to the library.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [title, category, instructions, frequency, stages, joint]
                      properties:
                        title: {type: string, maxLength: 200}
                        category: {type: string}
                        instructions: {type: string}
                        frequency: {type: string, enum: [once, daily, weekly]}
                        stages: {type: array, items: {type: integer, minimum: 1, maximum: 3}}
                        joint: {type: boolean}
              responses:
                "201": {description: Added., content: {application/json: {schema: {$ref: "#/components/schemas/Created"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "403": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/homework/assignments:
            post:
              summary: Assign a prompt to a couple or one partner. Joint homework for a high-risk couple needs riskOverrideReason.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [promptId, coupleId, sessionId, dueOn]
                      properties:
                        promptId: {type: string, format: uuid}
                        coupleId: {type: string, format: uuid}
                        partnerId: {type: string, format: uuid}
                        sessionId: {type: string, format: uuid}
                        dueOn: {type: string, format: date}
                        recurrence: {type: string, enum: [none, daily, weekly]}
                        riskOverrideReason: {type: string}
              responses:
                "201": {description: Assigned., content: {application/json: {schema: {$ref: "#/components/schemas/Created"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/homework/assignments/{assignmentId}/responses:
            parameters:
              - {name: assignmentId, in: path, required: true, schema: {type: string, format: uuid}}
            post:
              summary: Record a partner's response (text sealed; private unless shared).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [partnerId, completion]
                      properties:
                        partnerId: {type: string, format: uuid}
                        completion: {type: string, enum: [completed, partly_completed, skipped]}
                        text: {type: string}
                        shared: {type: boolean}
              responses:
                "204": {description: Recorded.}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/homework/open:
            get:
              summary: Assignments not yet answered by everyone they were given to.
              parameters:
                - {$ref: "#/components/parameters/Limit"}
                - {$ref: "#/components/parameters/Cursor"}
                - {name: overdue, in: query, schema: {type: boolean}}
              responses:
                "200":
                  description: Open assignments.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [items]
                        properties:
                          nextCursor: {type: string}
                          items:
                            type: array
                            items:
                              type: object
                              required: [id, promptTitle, coupleId, dueOn, status]
                              properties:
                                id: {type: string, format: uuid}
                                promptTitle: {type: string}
                                coupleId: {type: string, format: uuid}
                                partnerId: {type: string, format: uuid}
                                dueOn: {type: string, format: date}
                                status: {type: string}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
          /v1/clients/{clientId}/measures:
            parameters:
              - {$ref: "#/components/parameters/ClientId"}
            post:
              summary: Record a measure administration (items for CSI forms, a score for single-score measures).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [code, administeredOn]
                      properties:
                        code: {type: string}
                        administeredOn: {type: string, format: date}
                        items: {type: array, items: {type: integer}}
                        score: {type: number}
                        sessionId: {type: string, format: uuid}
              responses:
                "201":
                  description: Recorded with its total.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [id, total]
                        properties:
                          id: {type: string, format: uuid}
                          total: {type: number}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/clients/{clientId}/measures/{code}:
            parameters:
              - {$ref: "#/components/parameters/ClientId"}
              - {name: code, in: path, required: true, description: "The measure's code, percent-encoded (CSI-4, or a practice's own).", schema: {type: string}}
            get:
              summary: A client's trend on one measure, with reliable change when the measure has its parameters.
              responses:
                "200":
                  description: The trend.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [measure, clientId, points]
                        properties:
                          measure: {type: string, description: "The measure's code, as asked for."}
                          clientId: {type: string, format: uuid}
                          points:
                            type: array
                            items:
                              type: object
                              required: [date, total]
                              properties:
                                date: {type: string, format: date}
                                total: {type: number}
                          cutoff: {type: number}
                          reliableChangeIndex: {type: number}
                          label: {type: string}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
          /v1/clients:
            get:
              summary: The clients in the caller's reach (audited as a caseload read).
              parameters:
                - {$ref: "#/components/parameters/Limit"}
                - {$ref: "#/components/parameters/Cursor"}
              responses:
                "200":
                  description: The clients.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [items]
                        properties:
                          nextCursor: {type: string}
                          items: {type: array, items: {$ref: "#/components/schemas/Client"}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
            post:
              summary: Open a client's chart (the caller, or a supervisee the caller names, is the primary counselor).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [legalName, intakeDate]
                      properties:
                        legalName: {type: string, maxLength: 200}
                        preferredName: {type: string, maxLength: 100}
                        pronouns: {type: string}
                        dateOfBirth: {type: string, format: date}
                        intakeDate: {type: string, format: date}
                        attachmentStyle: {type: string}
                        primaryCounselorId: {type: string, format: uuid, description: Default the caller.}
              responses:
                "201": {description: Opened., content: {application/json: {schema: {$ref: "#/components/schemas/Created"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "403": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/clients/{clientId}:
            parameters:
              - {$ref: "#/components/parameters/ClientId"}
            get:
              summary: A client chart (audited).
              responses:
                "200": {description: The client., content: {application/json: {schema: {$ref: "#/components/schemas/Client"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
          /v1/couples/{coupleId}/goals:
            parameters:
              - {$ref: "#/components/parameters/CoupleId"}
            get:
              summary: The couple's treatment goals.
              parameters:
                - {$ref: "#/components/parameters/Limit"}
                - {$ref: "#/components/parameters/Cursor"}
              responses:
                "200":
                  description: The goals.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [items]
                        properties:
                          nextCursor: {type: string}
                          items:
                            type: array
                            items:
                              type: object
                              required: [id, description, status]
                              properties:
                                id: {type: string, format: uuid}
                                description: {type: string}
                                status: {type: string}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
            post:
              summary: Add a treatment goal (sealed).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [description]
                      properties:
                        description: {type: string}
              responses:
                "201": {description: Added., content: {application/json: {schema: {$ref: "#/components/schemas/Created"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/goals/{goalId}/status:
            parameters:
              - {name: goalId, in: path, required: true, schema: {type: string, format: uuid}}
            put:
              summary: Change a goal's status.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [status]
                      properties:
                        status: {type: string, enum: [open, in_progress, met, discontinued]}
              responses:
                "204": {description: Changed.}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/couples/{coupleId}/injuries:
            parameters:
              - {$ref: "#/components/parameters/CoupleId"}
            get:
              summary: The couple's attachment injuries.
              parameters:
                - {$ref: "#/components/parameters/Limit"}
                - {$ref: "#/components/parameters/Cursor"}
              responses:
                "200":
                  description: The injuries.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [items]
                        properties:
                          nextCursor: {type: string}
                          items:
                            type: array
                            items:
                              type: object
                              required: [id, injuredPartnerId, description, identifiedOn, status, resolutionStep]
                              properties:
                                id: {type: string, format: uuid}
                                injuredPartnerId: {type: string, format: uuid}
                                description: {type: string}
                                identifiedOn: {type: string, format: date}
                                status: {type: string}
                                resolutionStep: {type: integer}
                                resolvedOn: {type: string, format: date}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
            post:
              summary: Record an attachment injury (description sealed).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [description, injuredPartnerId]
                      properties:
                        description: {type: string}
                        injuredPartnerId: {type: string, format: uuid}
                        identifiedOn: {type: string, format: date}
              responses:
                "201": {description: Recorded., content: {application/json: {schema: {$ref: "#/components/schemas/Created"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/clients/{clientId}/notes:
            parameters:
              - {$ref: "#/components/parameters/ClientId"}
            get:
              summary: A client's own progress notes (individual sessions; no text), by session date.
              parameters:
                - {$ref: "#/components/parameters/Limit"}
                - {$ref: "#/components/parameters/Cursor"}
              responses:
                "200":
                  description: The notes.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [items]
                        properties:
                          nextCursor: {type: string}
                          items:
                            type: array
                            items: {$ref: "#/components/schemas/NoteLine"}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
          /v1/clients/{clientId}/sessions:
            parameters:
              - {$ref: "#/components/parameters/ClientId"}
            get:
              summary: A client's individual therapy sessions, by start time.
              parameters:
                - {$ref: "#/components/parameters/Limit"}
                - {$ref: "#/components/parameters/Cursor"}
              responses:
                "200":
                  description: The sessions.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [items]
                        properties:
                          nextCursor: {type: string}
                          items:
                            type: array
                            items: {$ref: "#/components/schemas/SessionLine"}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
          /v1/injuries/{injuryId}:
            parameters:
              - {name: injuryId, in: path, required: true, schema: {type: string, format: uuid}}
            put:
              summary: Move an attachment injury through the resolution model (step 1–8, status, resolved date).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [resolutionStep, status]
                      properties:
                        resolutionStep: {type: integer, minimum: 1, maximum: 8}
                        status: {type: string, enum: [identified, in_repair, resolved]}
                        resolvedOn: {type: string, format: date}
              responses:
                "204": {description: Updated.}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "403": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/notes/{noteId}/addenda:
            parameters:
              - {$ref: "#/components/parameters/NoteId"}
            post:
              summary: Add an addendum to a signed note (reason and text sealed).
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [reason, text]
                      properties:
                        reason: {type: string}
                        text: {type: string}
              responses:
                "201": {description: Added., content: {application/json: {schema: {$ref: "#/components/schemas/Created"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
            get:
              summary: A note's addenda, oldest first (audited). A note out of reach is 404 (audited as denied), never an empty list.
              parameters:
                - {$ref: "#/components/parameters/Limit"}
                - {$ref: "#/components/parameters/Cursor"}
              responses:
                "200":
                  description: The addenda.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [items]
                        properties:
                          nextCursor: {type: string}
                          items:
                            type: array
                            items:
                              type: object
                              required: [id, authorId, createdAt, reason, text]
                              properties:
                                id: {type: string, format: uuid}
                                authorId: {type: string, format: uuid}
                                createdAt: {type: string, format: date-time}
                                reason: {type: string}
                                text: {type: string}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
          /v1/notes/{noteId}/cosign:
            parameters:
              - {$ref: "#/components/parameters/NoteId"}
            post:
              summary: Co-sign a supervisee's signed note (supervisors).
              responses:
                "204": {description: Co-signed.}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "403": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "409": {$ref: "#/components/responses/Problem"}
          /v1/couples/{coupleId}/cycle-maps/{partnerId}:
            parameters:
              - {$ref: "#/components/parameters/CoupleId"}
              - {name: partnerId, in: path, required: true, schema: {type: string, format: uuid}}
            get:
              summary: One partner's cycle map (EFT case formulation), every version, oldest first (audited).
              parameters:
                - {$ref: "#/components/parameters/Limit"}
                - {$ref: "#/components/parameters/Cursor"}
              responses:
                "200":
                  description: The versions.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [items]
                        properties:
                          nextCursor: {type: string}
                          items:
                            type: array
                            items:
                              allOf:
                                - {$ref: "#/components/schemas/CycleMap"}
                                - type: object
                                  required: [version, createdAt]
                                  properties:
                                    version: {type: integer, minimum: 1}
                                    createdAt: {type: string, format: date-time}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
            post:
              summary: Add a version of the partner's cycle map (the history stays).
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {$ref: "#/components/schemas/CycleMap"}
              responses:
                "201":
                  description: The new version's number.
                  content:
                    application/json:
                      schema: {type: object, required: [version], properties: {version: {type: integer, minimum: 1}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "403": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/audit:
            get:
              summary: The practice's audit log, oldest first (admins only; the read is audited).
              description: Entries hold ids, never clinical text. Anyone but an admin gets 403, audited as denied.
              parameters:
                - {$ref: "#/components/parameters/Limit"}
                - name: cursor
                  in: query
                  description: nextCursor of the previous page (the last sequence number seen).
                  schema: {type: string, pattern: "^[0-9]{1,18}$"}
                - {name: clientId, in: query, description: Entries naming this client., schema: {type: string, format: uuid}}
                - {name: staffId, in: query, description: Entries by this staff member., schema: {type: string, format: uuid}}
                - {name: action, in: query, description: "e.g. note.read", schema: {type: string, maxLength: 100}}
                - {name: outcome, in: query, schema: {type: string, enum: [success, denied, failed]}}
                - {name: breakGlass, in: query, description: Only entries made under break-glass access., schema: {type: boolean}}
                - {name: from, in: query, description: From this instant (inclusive)., schema: {type: string, format: date-time}}
                - {name: to, in: query, description: Until this instant (exclusive)., schema: {type: string, format: date-time}}
              responses:
                "200":
                  description: One page of entries.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [items]
                        properties:
                          nextCursor: {type: string}
                          items:
                            type: array
                            items:
                              type: object
                              required: [seq, occurredAt, roles, breakGlass, action, clientIds, outcome, source, hash]
                              properties:
                                seq: {type: integer, minimum: 1}
                                occurredAt: {type: string, format: date-time}
                                staffId: {type: string, format: uuid}
                                roles: {type: array, items: {type: string}}
                                breakGlass: {type: boolean}
                                action: {type: string}
                                entityType: {type: string}
                                entityId: {type: string, format: uuid}
                                clientIds: {type: array, items: {type: string, format: uuid}}
                                outcome: {type: string, enum: [success, denied, failed]}
                                source: {type: string}
                                requestId: {type: string}
                                hash: {type: string, pattern: "^[0-9a-f]{64}$"}
                                digest:
                                  description: the SHA-256 the entry vouches for (a signed note's content hash on note.sign)
                                  type: string
                                  pattern: "^[0-9a-f]{64}$"
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "403": {$ref: "#/components/responses/Problem"}
          /v1/audit/verification:
            get:
              summary: Walk the practice's hash chain and report the first broken link (admins only; audited).
              responses:
                "200":
                  description: The chain's state.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [intact, entries]
                        properties:
                          intact: {type: boolean}
                          entries: {type: integer, minimum: 0}
                          headSeq: {type: integer}
                          headHash: {type: string, pattern: "^[0-9a-f]{64}$"}
                          firstBreakSeq: {type: integer}
                          firstBreakReason: {type: string}
                "401": {$ref: "#/components/responses/Problem"}
                "403": {$ref: "#/components/responses/Problem"}
          /v1/references:
            get:
              summary: The one record in reach whose id starts with a prefix (as the CLI's 8+ hex-digit ids).
              description: >-
                Row-level security decides what is in reach (with `Haven-Break-Glass: on`, the caller's granted
                charts too); a prefix matching records out of reach matches nothing. A full UUID is answered as
                given, unchecked, as the CLI does: the record's own route decides whether it is in reach. Not
                audited (it reveals only ids).
              parameters:
                - name: kind
                  in: query
                  required: true
                  schema:
                    type: string
                    enum: [client, couple, session, note, assignment, injury, goal, prompt, staff, practice,
                      psychotherapy-note, break-glass-grant]
                - name: prefix
                  in: query
                  required: true
                  description: 8 to 31 hex digits (hyphens ignored), or a full UUID.
                  schema: {type: string}
              responses:
                "200":
                  description: The record's full id.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [kind, id]
                        properties:
                          kind: {type: string}
                          id: {type: string, format: uuid}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {description: Nothing in reach starts with the prefix (field `prefix`)., content: {application/problem+json: {schema: {$ref: "#/components/schemas/Problem"}}}}
                "409": {description: "Several records in reach match (type `.../ambiguous-reference`, field `prefix`); the detail lists up to five.", content: {application/problem+json: {schema: {$ref: "#/components/schemas/Problem"}}}}
                "422": {description: Not a UUID or a prefix of 8+ hex digits (field `prefix`)., content: {application/problem+json: {schema: {$ref: "#/components/schemas/Problem"}}}}
          /v1/couples/{coupleId}/report-summaries:
            parameters:
              - {$ref: "#/components/parameters/CoupleId"}
            post:
              summary: Write the counselor's summary of a period of the couple's chart (sealed; clinical reports only).
              description: A later summary for the same period replaces the earlier one in reports; both are kept.
              requestBody: {$ref: "#/components/requestBodies/ReportSummary"}
              responses:
                "201": {description: Written., content: {application/json: {schema: {$ref: "#/components/schemas/Created"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "403": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/clients/{clientId}/report-summaries:
            parameters:
              - {$ref: "#/components/parameters/ClientId"}
            post:
              summary: Write the counselor's summary of a period of the client's own chart (sealed; clinical reports only).
              requestBody: {$ref: "#/components/requestBodies/ReportSummary"}
              responses:
                "201": {description: Written., content: {application/json: {schema: {$ref: "#/components/schemas/Created"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "403": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/clients/{clientId}/export:
            parameters:
              - {$ref: "#/components/parameters/ClientId"}
            get:
              summary: Everything held about a client, decrypted, for a records request (audited as one entry).
              description: >-
                The `haven-client-export-v1` document `haven export client` writes, byte for byte. Leaves out
                the other partner's individual sessions, notes and unshared homework responses always, and
                psychotherapy notes unless asked (then only those the caller may read; audited as
                `client.export.psychotherapy_notes`). A value that fails to open is null and listed in
                `unreadableValues`.
              parameters:
                - {name: psychotherapyNotes, in: query, schema: {type: boolean, default: false}}
              responses:
                "200": {description: The export., content: {application/json: {schema: {$ref: "#/components/schemas/ClientExport"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
          /v1/break-glass-grants:
            get:
              summary: The caller's break-glass grants, newest first, live and past (the reasons stay sealed).
              parameters:
                - {$ref: "#/components/parameters/Limit"}
                - {$ref: "#/components/parameters/Cursor"}
              responses:
                "200":
                  description: The grants.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [items]
                        properties:
                          nextCursor: {type: string}
                          items: {type: array, items: {$ref: "#/components/schemas/Grant"}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
            post:
              summary: Open a break-glass grant on one chart outside the caller's caseload (counselors and supervisors).
              description: >-
                Emergency, read-only, time-limited reach into one chart, with a written reason (sealed, never in
                the URL). Audited and flagged. Act on it by sending `Haven-Break-Glass: on` with read requests.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [chartKind, chartId, reason]
                      properties:
                        chartKind: {type: string, enum: [couple, client]}
                        chartId: {type: string, format: uuid}
                        reason: {type: string, minLength: 20, maxLength: 4096, description: Why (20+ characters).}
                        durationMinutes: {type: integer, minimum: 1, maximum: 480, default: 60}
              responses:
                "201": {description: Opened., content: {application/json: {schema: {$ref: "#/components/schemas/Grant"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "403": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/break-glass-grants/{grantId}:
            parameters:
              - {name: grantId, in: path, required: true, schema: {type: string, format: uuid}}
            delete:
              summary: Close one of the caller's grants before it expires (audited).
              responses:
                "204": {description: Closed.}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
          /v1/couples/{coupleId}/psychotherapy-notes:
            parameters:
              - {$ref: "#/components/parameters/CoupleId"}
            post:
              summary: Write a psychotherapy note on the couple's chart (private to its author, sealed under the author's own key).
              requestBody: {$ref: "#/components/requestBodies/PsychotherapyNote"}
              responses:
                "201": {description: Written., headers: {Location: {schema: {type: string}}}, content: {application/json: {schema: {$ref: "#/components/schemas/Created"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "403": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/clients/{clientId}/psychotherapy-notes:
            parameters:
              - {$ref: "#/components/parameters/ClientId"}
            post:
              summary: Write a psychotherapy note on the client's own chart (private to its author).
              requestBody: {$ref: "#/components/requestBodies/PsychotherapyNote"}
              responses:
                "201": {description: Written., headers: {Location: {schema: {type: string}}}, content: {application/json: {schema: {$ref: "#/components/schemas/Created"}}}}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "403": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
                "413": {$ref: "#/components/responses/Problem"}
                "422": {$ref: "#/components/responses/Problem"}
          /v1/psychotherapy-notes/{psychotherapyNoteId}:
            parameters:
              - {name: psychotherapyNoteId, in: path, required: true, schema: {type: string, format: uuid}}
            get:
              summary: Read a psychotherapy note (its author only; anyone else gets 404, audited as denied).
              responses:
                "200":
                  description: The note.
                  content:
                    application/json:
                      schema:
                        type: object
                        required: [id, body]
                        properties:
                          id: {type: string, format: uuid}
                          body: {type: string}
                "400": {$ref: "#/components/responses/Problem"}
                "401": {$ref: "#/components/responses/Problem"}
                "404": {$ref: "#/components/responses/Problem"}
        components:
          securitySchemes:
            bearer: {type: http, scheme: bearer}
          parameters:
            Audience: {name: audience, in: query, schema: {type: string, enum: [clinical, client], default: clinical}}
            From: {name: from, in: query, description: The period's first day (default the chart's start)., schema: {type: string, format: date}}
            To: {name: to, in: query, description: The period's last day (default today)., schema: {type: string, format: date}}
            Limit:
              name: limit
              in: query
              description: Entries per page.
              schema: {type: integer, minimum: 1, maximum: 200, default: 50}
            Cursor:
              name: cursor
              in: query
              description: >-
                nextCursor of the previous page (the id of its last entry). A cursor naming an entry that has
                left the list is 400 `bad-cursor`: start again from the first page.
              schema: {type: string}
            CoupleId: {name: coupleId, in: path, required: true, schema: {type: string, format: uuid}}
            NoteId: {name: noteId, in: path, required: true, schema: {type: string, format: uuid}}
            ClientId: {name: clientId, in: path, required: true, schema: {type: string, format: uuid}}
          requestBodies:
            ReportSummary:
              required: true
              content:
                application/json:
                  schema:
                    type: object
                    required: [summary, from, to]
                    properties:
                      summary: {type: string, maxLength: 16384, description: The summary text (sealed).}
                      from: {type: string, format: date, description: The period's first day.}
                      to: {type: string, format: date, description: The period's last day (on or after from).}
                      nextReview: {type: string, format: date, description: On or after to.}
            PsychotherapyNote:
              required: true
              content:
                application/json:
                  schema:
                    type: object
                    required: [body]
                    properties:
                      body: {type: string, maxLength: 65536}
            TOTPCode:
              required: true
              content:
                application/json:
                  schema:
                    type: object
                    required: [code]
                    properties:
                      code: {type: string, maxLength: 20}
          responses:
            Report:
              description: The report. JSON follows docs/report-schema.json.
              content:
                application/json: {schema: {type: object}}
                text/html: {schema: {type: string}}
                text/markdown: {schema: {type: string}}
            Problem:
              description: An RFC 9457 problem document.
              content:
                application/problem+json:
                  schema: {$ref: "#/components/schemas/Problem"}
            Paused:
              description: Too many wrong codes or sign-ins; Retry-After says when to try again.
              headers:
                Retry-After: {schema: {type: integer}}
              content:
                application/problem+json:
                  schema: {$ref: "#/components/schemas/Problem"}
          schemas:
            Grant:
              type: object
              required: [id, chartKind, chartId, grantedAt, expiresAt, live]
              properties:
                id: {type: string, format: uuid}
                chartKind: {type: string, enum: [couple, client]}
                chartId: {type: string, format: uuid}
                grantedAt: {type: string, format: date-time}
                expiresAt: {type: string, format: date-time}
                revokedAt: {type: string, format: date-time, description: When it was closed early.}
                live: {type: boolean, description: Still widens break-glass requests now.}
            ClientExport:
              description: >-
                `haven-client-export-v1`: keys as the CLI's export file spells them (`...ID` suffixes, UUIDs in
                upper case), absent where a value is absent.
              type: object
              required: [format, generatedAt, client, couples, sessions, progressNotes, homework, measures, areRatings,
                cycleMaps, attachmentInjuries, treatmentGoals, exclusions, unreadableValues]
              properties:
                format: {const: haven-client-export-v1}
                generatedAt: {type: string, format: date-time}
                client:
                  type: object
                  required: [id, legalName, intakeDate, status, primaryCounselorID]
                  properties:
                    id: {type: string, format: uuid}
                    legalName: {type: string}
                    preferredName: {type: string}
                    pronouns: {type: string}
                    dateOfBirth: {type: string}
                    intakeDate: {type: string}
                    status: {type: string}
                    attachmentStyle: {type: string}
                    primaryCounselorID: {type: string, format: uuid}
                couples:
                  type: array
                  items:
                    type: object
                    required: [id, partnerAID, partnerBID, counselorID, startDate, status]
                    properties:
                      id: {type: string, format: uuid}
                      partnerAID: {type: string, format: uuid}
                      partnerBID: {type: string, format: uuid}
                      counselorID: {type: string, format: uuid}
                      startDate: {type: string}
                      status: {type: string}
                      presentingConcerns: {type: string}
                sessions:
                  type: array
                  items:
                    type: object
                    required: [id, chartKind, chartID, counselorID, scheduledStart, durationMinutes, format, status, attendeeIDs]
                    properties:
                      id: {type: string, format: uuid}
                      chartKind: {type: string, enum: [couple, client]}
                      chartID: {type: string, format: uuid}
                      counselorID: {type: string, format: uuid}
                      scheduledStart: {type: string, format: date-time}
                      durationMinutes: {type: integer}
                      format: {type: string}
                      status: {type: string}
                      attendeeIDs: {type: array, items: {type: string, format: uuid}}
                progressNotes:
                  type: array
                  items:
                    type: object
                    required: [id, sessionID, authorID, state, stage, step, interventions, tangoMoves, changeEvents, riskLevel,
                      addenda, cosignedBy]
                    properties:
                      id: {type: string, format: uuid}
                      sessionID: {type: string, format: uuid}
                      authorID: {type: string, format: uuid}
                      state: {type: string}
                      stage: {type: integer}
                      step: {type: integer}
                      stepPartnerID: {type: string, format: uuid}
                      interventions: {type: array, items: {type: string}}
                      tangoMoves: {type: array, items: {type: string}}
                      changeEvents: {type: array, items: {type: string}}
                      riskLevel: {type: string}
                      riskDetail: {type: string}
                      body: {type: string}
                      signedAt: {type: string, format: date-time}
                      contentHash: {type: string, pattern: "^[0-9a-f]{64}$"}
                      addenda:
                        type: array
                        items:
                          type: object
                          required: [id, authorID, createdAt]
                          properties:
                            id: {type: string, format: uuid}
                            authorID: {type: string, format: uuid}
                            createdAt: {type: string, format: date-time}
                            reason: {type: string}
                            body: {type: string}
                      cosignedBy: {type: array, items: {type: string, format: uuid}}
                homework:
                  type: array
                  items:
                    type: object
                    required: [id, coupleID, promptTitle, category, assignedOn, dueOn, recurrence, responses]
                    properties:
                      id: {type: string, format: uuid}
                      coupleID: {type: string, format: uuid}
                      promptTitle: {type: string}
                      category: {type: string}
                      partnerID: {type: string, format: uuid}
                      assignedOn: {type: string}
                      dueOn: {type: string}
                      recurrence: {type: string}
                      responses:
                        type: array
                        items:
                          type: object
                          required: [id, partnerID, completion, sharedWithPartner, recordedAt]
                          properties:
                            id: {type: string, format: uuid}
                            partnerID: {type: string, format: uuid}
                            completion: {type: string}
                            text: {type: string}
                            sharedWithPartner: {type: boolean}
                            recordedAt: {type: string, format: date-time}
                measures:
                  type: array
                  items:
                    type: object
                    required: [id, code, name, administeredOn, items, total]
                    properties:
                      id: {type: string, format: uuid}
                      code: {type: string}
                      name: {type: string}
                      administeredOn: {type: string}
                      items: {type: array, items: {type: integer}}
                      total: {type: number}
                areRatings:
                  type: array
                  items:
                    type: object
                    required: [sessionID, accessible, responsive, engaged, ratedAt]
                    properties:
                      sessionID: {type: string, format: uuid}
                      accessible: {type: integer}
                      responsive: {type: integer}
                      engaged: {type: integer}
                      ratedAt: {type: string, format: date-time}
                cycleMaps:
                  type: array
                  items:
                    type: object
                    required: [coupleID, version, position, createdAt]
                    properties:
                      coupleID: {type: string, format: uuid}
                      version: {type: integer}
                      position: {type: string}
                      map:
                        type: object
                        required: [trigger, actionTendency, perceptionOfPartner, reactiveEmotion, primaryEmotion, unmetNeed]
                        properties:
                          trigger: {type: string}
                          actionTendency: {type: string}
                          perceptionOfPartner: {type: string}
                          reactiveEmotion: {type: string}
                          primaryEmotion: {type: string}
                          unmetNeed: {type: string}
                      createdAt: {type: string, format: date-time}
                attachmentInjuries:
                  type: array
                  items:
                    type: object
                    required: [id, coupleID, injuredPartnerID, identifiedOn, status, resolutionStep]
                    properties:
                      id: {type: string, format: uuid}
                      coupleID: {type: string, format: uuid}
                      injuredPartnerID: {type: string, format: uuid}
                      description: {type: string}
                      identifiedOn: {type: string}
                      status: {type: string}
                      resolutionStep: {type: integer}
                      resolvedOn: {type: string}
                treatmentGoals:
                  type: array
                  items:
                    type: object
                    required: [id, coupleID, status]
                    properties:
                      id: {type: string, format: uuid}
                      coupleID: {type: string, format: uuid}
                      description: {type: string}
                      status: {type: string}
                psychotherapyNotes:
                  description: Present only when asked for.
                  type: array
                  items:
                    type: object
                    required: [id, authorID, chartKind, chartID, updatedAt]
                    properties:
                      id: {type: string, format: uuid}
                      authorID: {type: string, format: uuid}
                      chartKind: {type: string, enum: [couple, client]}
                      chartID: {type: string, format: uuid}
                      body: {type: string}
                      updatedAt: {type: string, format: date-time}
                exclusions: {type: array, items: {type: string}}
                unreadableValues:
                  type: array
                  items:
                    type: object
                    required: [table, column, rowID, reason]
                    properties:
                      table: {type: string}
                      column: {type: string}
                      rowID: {type: string}
                      reason: {type: string}
            SessionLine:
              type: object
              required: [id, chartKind, chartId, counselorId, start, durationMinutes, format, status, noted]
              properties:
                id: {type: string, format: uuid}
                chartKind: {type: string, enum: [couple, client]}
                chartId: {type: string, format: uuid}
                counselorId: {type: string, format: uuid}
                start: {type: string, format: date-time}
                durationMinutes: {type: integer}
                format: {type: string, enum: [in_person, video, phone]}
                status: {type: string, enum: [scheduled, completed, cancelled, late_cancelled, no_show]}
                noted: {type: boolean}
            NoteLine:
              type: object
              required: [id, sessionId, sessionStart, authorId, stage, step, riskLevel, state, version, addenda, cosigned]
              properties:
                id: {type: string, format: uuid}
                sessionId: {type: string, format: uuid}
                sessionStart: {type: string, format: date-time}
                authorId: {type: string, format: uuid}
                stage: {type: integer}
                step: {type: integer}
                riskLevel: {type: string}
                state: {type: string, enum: [draft, signed]}
                version: {type: integer}
                addenda: {type: integer}
                cosigned: {type: boolean}
            CycleMap:
              type: object
              required: [position, trigger, actionTendency, perceptionOfPartner, reactiveEmotion, primaryEmotion, unmetNeed]
              properties:
                position: {type: string, enum: [pursuer, withdrawer, alternating]}
                trigger: {type: string}
                actionTendency: {type: string}
                perceptionOfPartner: {type: string}
                reactiveEmotion: {type: string}
                primaryEmotion: {type: string}
                unmetNeed: {type: string}
            TOTPStatus:
              type: object
              required: [enrolled, pending, required]
              properties:
                enrolled: {type: boolean, description: A confirmed app; sign-in asks for its code.}
                pending: {type: boolean, description: Enrolled but not yet confirmed with a code.}
                required: {type: boolean, description: The practice requires every staff member to have one.}
            Health:
              type: object
              required: [status]
              properties:
                status: {type: string}
                problems: {type: array, items: {type: string}}
            Client:
              type: object
              required: [id, legalName, intakeDate, status, primaryCounselorId]
              properties:
                id: {type: string, format: uuid}
                legalName: {type: string}
                preferredName: {type: string}
                pronouns: {type: string}
                dateOfBirth: {type: string, format: date}
                intakeDate: {type: string, format: date}
                status: {type: string}
                attachmentStyle: {type: string}
                primaryCounselorId: {type: string, format: uuid}
            Person:
              type: object
              required: [id, name]
              properties:
                id: {type: string, format: uuid}
                name: {type: string}
            Draft:
              type: object
              required: [stage, step, body]
              properties:
                sessionId: {type: string, format: uuid, description: Required when writing.}
                stage: {type: integer, minimum: 1, maximum: 3}
                step: {type: integer, minimum: 1, maximum: 9}
                stepPartnerId: {type: string, format: uuid}
                interventions: {type: array, items: {type: string}}
                tangoMoves: {type: array, items: {type: string}}
                changeEvents: {type: array, items: {type: string}}
                riskLevel: {type: string, enum: [none, low, moderate, high]}
                riskDetail: {type: string}
                body: {type: string, maxLength: 65536}
            Created:
              type: object
              required: [id]
              properties:
                id: {type: string, format: uuid}
            Written:
              type: object
              required: [id, version]
              properties:
                id: {type: string, format: uuid}
                version: {type: integer}
            Problem:
              type: object
              required: [type, title, status, detail, requestId]
              properties:
                type: {type: string, format: uri}
                title: {type: string}
                status: {type: integer}
                detail: {type: string}
                field: {type: string}
                requestId: {type: string}

        """#
}
