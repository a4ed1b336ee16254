{{/*
Cross-field rules that values.schema.json cannot express. Called from the Deployment so every
render checks them; each message names the keys involved.
*/}}
{{- define "taskflow-api.validate" -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail (printf "autoscaling.minReplicas (%v) must not exceed autoscaling.maxReplicas (%v)" .Values.autoscaling.minReplicas .Values.autoscaling.maxReplicas) }}
{{- end }}
{{- if le (int .Values.terminationGracePeriodSeconds) (int .Values.preStopDelaySeconds) }}
{{- fail (printf "terminationGracePeriodSeconds (%v) must exceed preStopDelaySeconds (%v), or SIGKILL arrives before the app can drain" .Values.terminationGracePeriodSeconds .Values.preStopDelaySeconds) }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.ingress.hosts) }}
{{- fail "ingress.hosts must list at least one host when ingress.enabled=true" }}
{{- end }}
{{- if and .Values.rbac.rules (not .Values.serviceAccount.create) (not .Values.serviceAccount.name) }}
{{- fail "rbac.rules needs a ServiceAccount to bind: set serviceAccount.create=true or serviceAccount.name" }}
{{- end }}
{{- end }}
